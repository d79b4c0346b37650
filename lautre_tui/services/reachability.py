"""Reach checks as the poller uses them: run a device's checks, and judge them.

A device without a shell is up when anything answered for its address (a port
open or refused); silence everywhere is a failed round (down once hard); checks
we could not even try (no ping, a name that does not resolve) are our problem,
UNKNOWN, never "down".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from lautre_tui.backends import reach
from lautre_tui.backends.reach import Answer, ReachResult
from lautre_tui.model.checks import ReachSettings
from lautre_tui.model.health import Failure, Reachability
from lautre_tui.model.probe_format import CheckResult, CheckState, HostFigures, ProbeReport

STATES = {
    Answer.OPEN: CheckState.OK,
    Answer.CLOSED: CheckState.WARNING,  # the address answers, the port does not
    Answer.SILENT: CheckState.CRITICAL,
    Answer.UNUSABLE: CheckState.UNKNOWN,
}


async def run_checks(address: str, settings: ReachSettings, timeout: float) -> list[ReachResult]:
    probes: list[Awaitable[ReachResult]] = [
        reach.tcp(address, port, timeout) for port in settings.tcp
    ]
    if settings.ping:
        probes.append(reach.ping(address, timeout))
    return list(await asyncio.gather(*probes))


def as_check(result: ReachResult) -> CheckResult:
    return CheckResult(STATES[result.answer], result.detail)


def judge(address: str, results: list[ReachResult]) -> ProbeReport | Failure:
    """A round of a device without a shell."""
    if any(r.answer in (Answer.OPEN, Answer.CLOSED) for r in results):
        return ProbeReport(HostFigures(), {i: as_check(r) for i, r in enumerate(results)})
    details = "; ".join(f"{r.name}: {r.detail}" for r in results)
    if all(r.answer is Answer.UNUSABLE for r in results):
        return Failure(Reachability.ERROR.value, f"cannot check {address}: {details}")
    return Failure("unreachable", f"no answer from {address} ({details})")
