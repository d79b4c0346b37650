"""What changed between two healths of a device: the lines of the event history.

Only hard states count (a soft failure is not yet a change), per device (its
verdict) and per check. A first sight (nothing `before`) is given with `old` empty:
the shared history knows whether it is news (see services/history.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lautre_tui.model.health import HostHealth, Verdict
from lautre_tui.model.probe_format import CheckState

HOST = ""  # the check name of a device's own state
# First seen in one of these, with nothing recorded before: not news.
QUIET = frozenset(
    {Verdict.OK.value, Verdict.STANDBY_OFF.value, Verdict.STAGING.value, CheckState.OK.name}
)


@dataclass(frozen=True, slots=True)
class StateChange:
    time: float
    device: str
    check: str  # HOST for the device's own verdict
    old: str  # "" when never seen before
    new: str


def transitions(before: HostHealth | None, after: HostHealth, now: float) -> list[StateChange]:
    """The device's verdict and hard check states that differ from `before`."""
    if after.verdict is Verdict.UNPOLLED:
        return []
    seen = before is not None and before.verdict is not Verdict.UNPOLLED
    old_verdict = before.verdict.value if seen and before is not None else ""
    changes: list[StateChange] = []
    if after.verdict.value != old_verdict:
        changes.append(StateChange(now, after.device, HOST, old_verdict, after.verdict.value))
    old_checks = {c.name: c.state for c in before.checks} if before is not None else {}
    for check in after.checks:
        old = old_checks.get(check.name)
        if old is check.state:
            continue
        changes.append(
            StateChange(
                now, after.device, check.name, old.name if old is not None else "", check.state.name
            )
        )
    return changes
