"""One device the poller measures, and its round: an SSH probe over a persistent
connection and shell, and/or TCP connects and ping for a device with `reach:`.

A host that failed to connect waits out an exponential back-off with jitter
before the next connect; connects share the poller's global concurrency limit.
The poller (`services.poller`) chooses when each host's round runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, replace

import asyncssh

from lautre_tui.backends.probe import REMOTE_COMMAND, probe_round
from lautre_tui.backends.reach import ReachResult
from lautre_tui.backends.ssh import (
    AuthRefused,
    HostKeyChanged,
    SetupError,
    SshConnector,
    SshError,
)
from lautre_tui.model.health import Failure, Reachability
from lautre_tui.model.layout import DeviceKind, Layout
from lautre_tui.model.probe_format import END, ProbeReport, parse_report
from lautre_tui.model.thresholds import judge_thresholds
from lautre_tui.services.reachability import as_check, judge, run_checks

MAX_BACKOFF = 300.0


@dataclass(frozen=True, slots=True)
class Probing:
    """What every host's round shares: the connector, the limit on connects at
    once, the probe's shell library (sent once per shell), and the poll interval
    (the shortest back-off)."""

    layout: Layout
    connector: SshConnector
    connects: asyncio.Semaphore
    library: str
    interval: float
    rng: random.Random


class PolledHost:
    """A polled device's connection, shell and back-off, and how one round of it goes."""

    def __init__(self, probing: Probing, name: str) -> None:
        layout = probing.layout
        device = layout.devices[name]
        self._probing = probing
        self.name = name
        self.ssh = device.kind is DeviceKind.SERVER
        self.round = probe_round(device.services) if self.ssh else ""
        self.services = device.services if self.ssh else ()
        self.checks = len(self.services)
        self.reach = device.reach
        self.address = layout.reach_address(device)
        self.connection: asyncssh.SSHClientConnection | None = None
        self.shell: asyncssh.SSHClientProcess[str] | None = None
        self.busy = False
        self.next_try = 0.0  # monotonic time before which no connect is tried
        self.backoff = 0.0

    async def outcome(self) -> ProbeReport | Failure | None:
        """This round's result; None while the host waits out its back-off."""
        if not self.ssh:
            return await self._reached()
        report = await self._probed()
        if self.reach is None or not isinstance(report, ProbeReport):
            return report
        extra = await self._reach_results()
        results = dict(report.results)
        for index, result in enumerate(extra):
            results[self.checks + index] = as_check(result)
        return replace(report, results=results)

    async def _reach_results(self) -> list[ReachResult]:
        assert self.reach is not None
        async with self._probing.connects:
            return await run_checks(self.address, self.reach, self._probing.layout.poll.timeout)

    async def _reached(self) -> ProbeReport | Failure | None:
        """A device without a shell: up if anything answered for its address."""
        if time.monotonic() < self.next_try:
            return None
        outcome = judge(self.address, await self._reach_results())
        if isinstance(outcome, Failure):
            self.back_off()
        else:
            self.backoff = 0.0
        return outcome

    async def _probed(self) -> ProbeReport | Failure | None:
        """The SSH probe's answer."""
        layout = self._probing.layout
        if self.connection is None:
            if time.monotonic() < self.next_try:
                return None
            try:
                async with self._probing.connects:
                    self.connection = await self._probing.connector.connect(
                        layout.ssh_for(layout.devices[self.name])
                    )
                self.backoff = 0.0
            except SshError as error:
                self.back_off()
                return _failure(error)
        timeout = layout.poll.timeout
        try:
            if self.shell is None:  # one shell per connection: the library goes once
                self.shell = await self.connection.create_process(REMOTE_COMMAND)
                self.shell.stdin.write(self._probing.library)
            self.shell.stdin.write(self.round)
            text = await asyncio.wait_for(self.shell.stdout.readuntil(END + "\n"), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            self._close_shell()  # a late answer must not leak into the next round
            return Failure("timeout", f"no answer to the probe within {timeout:g} s")
        except asyncio.IncompleteReadError:
            self.drop()
            return Failure("unreachable", "connection dropped during the probe")
        except (asyncssh.Error, OSError) as error:
            self.drop()
            return Failure("unreachable", f"connection lost: {error}")
        return judge_thresholds(self.services, parse_report(str(text), self.checks))

    def _close_shell(self) -> None:
        if self.shell is not None:
            self.shell.close()
            self.shell = None

    def back_off(self) -> None:
        """Exponential with full jitter, from one interval up to MAX_BACKOFF."""
        self.backoff = min(MAX_BACKOFF, max(self._probing.interval, self.backoff * 2))
        self.next_try = time.monotonic() + self._probing.rng.uniform(0.5, 1.0) * self.backoff

    def drop(self) -> None:
        self.shell = None
        if self.connection is not None:
            self.connection.abort()
            self.connection = None

    async def close(self) -> None:
        self._close_shell()
        if self.connection is not None:
            self.connection.close()
            with contextlib.suppress(Exception):
                await self.connection.wait_closed()
            self.connection = None


def _failure(error: SshError) -> Failure:
    if isinstance(error, HostKeyChanged):
        return Failure(Reachability.KEY_CHANGED.value, str(error), error.fingerprint)
    if isinstance(error, AuthRefused):
        return Failure(Reachability.AUTH_REFUSED.value, str(error))
    if isinstance(error, SetupError):
        return Failure(Reachability.ERROR.value, str(error))
    return Failure("unreachable", str(error))
