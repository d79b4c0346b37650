"""States that tell the truth: what each round saw, judged against what the
layout expects of the device.

Pure logic, fed by the poller (probe answers and connection failures) and by
power control (outlet states). A failed check is soft until it fails
`soft_fails` rounds in a row; a host is DOWN only after as many failed
connections; a standby host that is off is as expected, one that runs is a
warning; staging hosts never alert; a host that cannot be reached because the
switch in front of it is down says so instead of raising its own alarm.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from lautre_tui.model.checks import ReachSettings
from lautre_tui.model.layout import Device, DeviceKind, Layout, Lifecycle
from lautre_tui.model.probe_format import (
    CheckResult,
    CheckState,
    HostFigures,
    ProbeReport,
    one_line,
)
from lautre_tui.model.validate import measured_by
from lautre_tui.model.wiring import Pdu


def reach_check_names(reach: ReachSettings | None) -> list[str]:
    if reach is None:
        return []
    return [f"tcp {port}" for port in reach.tcp] + (["ping"] if reach.ping else [])


STRIP_CHECKS = ("card", "load")


def check_names(layout: Layout, device: Device) -> list[str]:
    """The checks a round reports for `device`, in order: its services (servers,
    over SSH), then its reach checks; a strip's card reports its own two."""
    if layout.strip_of(device) is not None and device.kind is not DeviceKind.SERVER:
        return list(STRIP_CHECKS)
    services = [c.name for c in device.services] if device.kind is DeviceKind.SERVER else []
    return services + reach_check_names(device.reach)


def strip_report(pdu: Pdu, amps: float | None, error: str | None = None) -> ProbeReport:
    """A strip's round, from its card: the card answered (or not), and its load
    against the rating (WARNING above `load_warn` percent of it)."""
    if error is not None:
        card = CheckResult(CheckState.CRITICAL, f"the card does not answer: {error}")
        load = CheckResult(CheckState.UNKNOWN, "load unknown: the card does not answer")
        return ProbeReport(HostFigures(), {0: card, 1: load})
    card = CheckResult(CheckState.OK, "the card answers")
    if amps is None:
        load = CheckResult(CheckState.UNKNOWN, "the card gives no load reading")
    elif pdu.rating_amps is None:
        load = CheckResult(CheckState.OK, f"{amps:.1f} A (no rating_amps in the layout)")
    else:
        share = 100 * amps / pdu.rating_amps
        state = CheckState.WARNING if share > pdu.load_warn else CheckState.OK
        load = CheckResult(
            state,
            f"{amps:.1f} A of {pdu.rating_amps:g} A ({share:.0f}%, warns above {pdu.load_warn:g}%)",
        )
    return ProbeReport(HostFigures(), {0: card, 1: load})


class Reachability(str, enum.Enum):
    NOT_POLLED = "not yet polled"
    UP = "up"
    DOWN = "down"
    STALE = "stale"
    POWERED_OFF = "powered off"
    KEY_CHANGED = "host key changed"
    AUTH_REFUSED = "authentication refused"
    ERROR = "check failed"  # our side failed for this host (bad name, known_hosts…)


class Verdict(str, enum.Enum):
    """The one word a rack block shows, worst hard state first."""

    UNPOLLED = "unpolled"
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"
    DOWN = "down"
    BEHIND = "behind"  # unreachable because a switch in front of it is down
    STALE = "stale"
    POWERED_OFF = "off"
    STANDBY_OFF = "standby"
    STANDBY_RUNNING = "standby-running"
    STAGING = "staging"
    UNMONITORED = "unmonitored"  # nothing can check it (validate warns)
    STANDBY_NEEDED = "standby-needed"  # off, and its primary is down: start it

    @property
    def label(self) -> str:
        """The words for people (tables, messages): `powered off`, not `off`."""
        return LABELS.get(self, self.value)


LABELS = {
    Verdict.UNPOLLED: "not yet polled",
    Verdict.BEHIND: "unreachable behind a switch",
    Verdict.POWERED_OFF: "powered off",
    Verdict.STANDBY_OFF: "standby (off)",
    Verdict.STANDBY_RUNNING: "standby running",
    Verdict.STANDBY_NEEDED: "standby needed",
}


NAGIOS_EXIT = {
    Verdict.UNMONITORED: 0,
    Verdict.STANDBY_NEEDED: 1,
    Verdict.OK: 0,
    Verdict.STANDBY_OFF: 0,
    Verdict.STAGING: 0,
    Verdict.UNPOLLED: 3,
    Verdict.WARNING: 1,
    Verdict.STANDBY_RUNNING: 1,
    Verdict.STALE: 3,
    Verdict.UNKNOWN: 3,
    Verdict.CRITICAL: 2,
    Verdict.DOWN: 2,
    Verdict.BEHIND: 2,
    Verdict.POWERED_OFF: 2,
}
SEVERITY = {0: 0, 1: 1, 3: 2, 2: 3}


@dataclass(frozen=True, slots=True)
class CheckHealth:
    name: str
    state: CheckState  # hard: what the admin is told
    current: CheckState  # what the last round saw
    output: str
    fails: int  # consecutive non-OK rounds
    since: float  # wall time of the last change of `state`
    checked_at: float


@dataclass(frozen=True, slots=True)
class HostHealth:
    device: str
    reachability: Reachability = Reachability.NOT_POLLED
    verdict: Verdict = Verdict.UNPOLLED
    message: str = ""
    checks: tuple[CheckHealth, ...] = ()
    figures: HostFigures = field(default_factory=HostFigures)
    last_answer: float | None = None  # wall time of the last good answer
    connection_fails: int = 0
    fingerprint: str | None = None

    @property
    def exit_code(self) -> int:
        return NAGIOS_EXIT[self.verdict]


@dataclass(frozen=True, slots=True)
class Failure:
    """A round without an answer; `kind` is a Reachability or "timeout"/"unreachable"."""

    kind: str
    message: str
    fingerprint: str | None = None


class HealthTracker:
    """Accumulates rounds per host and derives their health."""

    def __init__(
        self, layout: Layout, *, soft_fails: int | None = None, interval: float | None = None
    ) -> None:
        self.layout = layout
        self.soft_fails = soft_fails or layout.poll.soft_fails
        self.interval = interval or layout.poll.interval
        self.outlets: dict[tuple[str, int], bool] = {}
        self.booting: dict[str, float] = {}  # host -> wall time its power came back
        self.hosts: dict[str, HostHealth] = {}
        for name in layout.devices:
            self.hosts[name] = self._judge(HostHealth(name))

    # -- inputs -------------------------------------------------------------------

    def observe(self, device: str, outcome: ProbeReport | Failure, now: float) -> HostHealth:
        """Record one round of `device`: a parsed answer or a failure."""
        before = self.hosts[device]
        if isinstance(outcome, ProbeReport):
            health = self._answered(before, outcome, now)
        else:  # what a host or a resolver says reaches terminals: one clean line
            health = self._failed(before, replace(outcome, message=one_line(outcome.message)), now)
        self.hosts[device] = self._judge(health)
        return self.hosts[device]

    def set_outlets(self, pdu: str, states: dict[int, bool]) -> list[HostHealth]:
        """Outlet states read from a strip; returns the hosts whose health changed."""
        for outlet, on in states.items():
            self.outlets[(pdu, outlet)] = on
        return self.rejudge()

    def judge(self, health: HostHealth) -> HostHealth:
        """Keep one host's `health`, judged (staging, standby, power, behind a switch);
        the others are not re-judged: an outside source (Icinga) updating a few hosts
        among thousands calls `rejudge` only when a switch or a standby's twin changed."""
        self.hosts[health.device] = self._judge(health)
        return self.hosts[health.device]

    def rejudge(self, now: float | None = None) -> list[HostHealth]:
        """Re-derive every host (parents, power, staleness); the changed ones."""
        changed: list[HostHealth] = []
        for name, before in self.hosts.items():
            after = self._judge(self._stale(before, now) if now is not None else before)
            if after != before:
                self.hosts[name] = after
                changed.append(after)
        return changed

    # -- rounds -------------------------------------------------------------------

    def _answered(self, before: HostHealth, report: ProbeReport, now: float) -> HostHealth:
        device = self.layout.devices[before.device]
        old = {check.name: check for check in before.checks}
        checks: list[CheckHealth] = []
        for index, name in enumerate(check_names(self.layout, device)):
            result = report.results[index]
            previous = old.get(name)
            fails = 0 if result.state is CheckState.OK else (previous.fails + 1 if previous else 1)
            hard = (
                result.state
                if (result.state is CheckState.OK or fails >= self.soft_fails)
                else (previous.state if previous else CheckState.OK)
            )
            since = previous.since if previous and previous.state is hard else now
            checks.append(CheckHealth(name, hard, result.state, result.output, fails, since, now))
        message = report.error or ""
        return replace(
            before,
            reachability=Reachability.UP,
            checks=tuple(checks),
            figures=report.figures,
            last_answer=now,
            connection_fails=0,
            message=message,
            fingerprint=None,
        )

    def _failed(self, before: HostHealth, failure: Failure, now: float) -> HostHealth:
        fails = before.connection_fails + 1
        since = self.booting.get(before.device)
        if since is not None:  # power came back: say so, not just "refused"
            failure = replace(failure, message=f"booting, {now - since:.0f} s: {failure.message}")
        if failure.kind == Reachability.KEY_CHANGED.value:
            return replace(
                before,
                reachability=Reachability.KEY_CHANGED,
                message=failure.message,
                fingerprint=failure.fingerprint,
                connection_fails=fails,
            )
        if failure.kind in (Reachability.AUTH_REFUSED.value, Reachability.ERROR.value):
            return replace(
                before,
                reachability=Reachability(failure.kind),
                message=failure.message,
                connection_fails=fails,
            )
        if failure.kind == "timeout" and before.reachability is Reachability.UP:
            return self._stale(replace(before, message=failure.message), now)
        if fails >= self.soft_fails or before.reachability is Reachability.NOT_POLLED:
            return replace(
                before,
                reachability=Reachability.DOWN,
                message=failure.message,
                connection_fails=fails,
            )
        note = f"{failure.message} ({fails}/{self.soft_fails})"
        return self._stale(replace(before, message=note, connection_fails=fails), now)

    def _stale(self, health: HostHealth, now: float | None) -> HostHealth:
        if (
            now is not None
            and health.reachability is Reachability.UP
            and health.last_answer is not None
            and now - health.last_answer > 3 * self.interval
        ):
            return replace(health, reachability=Reachability.STALE)
        return health

    # -- judgement ----------------------------------------------------------------

    def powered_off(self, device: str) -> bool:
        """Every outlet of the device is known to be off."""
        links = self.layout.devices[device].power
        known = [self.outlets.get((link.pdu, link.outlet)) for link in links]
        return bool(links) and all(state is False for state in known)

    def _behind(self, device: str) -> str | None:
        """The switch in front of `device` that is down, if any."""
        for parent in self.layout.devices[device].depends_on:
            if self.layout.devices[parent].kind is not DeviceKind.SWITCH:
                continue
            health = self.hosts.get(parent)
            down = health is not None and health.reachability is Reachability.DOWN
            if self.powered_off(parent) or down:
                return parent
        return None

    def _judge(self, health: HostHealth) -> HostHealth:
        device = self.layout.devices[health.device]
        reach = health.reachability
        if self.powered_off(device.name):
            reach = Reachability.POWERED_OFF
        elif reach is Reachability.POWERED_OFF:
            reach = Reachability.NOT_POLLED  # switched back on: wait for an answer
        health = replace(health, reachability=reach)
        running = reach in (Reachability.UP, Reachability.STALE)
        if device.state is Lifecycle.STAGING:
            return replace(
                health,
                verdict=Verdict.STAGING,
                message=f"staging: not in production yet ({reach.value})",
            )
        if device.state is Lifecycle.STANDBY:
            if running:
                twin = device.standby_for or "its twin"
                return replace(
                    health,
                    verdict=Verdict.STANDBY_RUNNING,
                    message=f"{device.name} is running: has {twin} failed over?",
                )
            primary = self.hosts.get(device.standby_for or "")
            if primary is not None and primary.verdict in (Verdict.DOWN, Verdict.POWERED_OFF):
                return replace(
                    health,
                    verdict=Verdict.STANDBY_NEEDED,
                    message=f"{device.name} is off and {primary.device} is "
                    f"{primary.verdict.label}: start the standby",
                )
            return replace(
                health, verdict=Verdict.STANDBY_OFF, message="standby (off, as expected)"
            )
        if reach is Reachability.NOT_POLLED and measured_by(self.layout, device) == "none":
            return replace(
                health,
                verdict=Verdict.UNMONITORED,
                message="unmonitored: nothing checks it (add reach: to the layout)",
            )
        if reach is Reachability.NOT_POLLED:
            return replace(health, verdict=Verdict.UNPOLLED)
        if reach is Reachability.POWERED_OFF:
            return replace(health, verdict=Verdict.POWERED_OFF, message="all its outlets are off")
        if reach in (Reachability.KEY_CHANGED, Reachability.AUTH_REFUSED):
            return replace(health, verdict=Verdict.CRITICAL)
        if reach is Reachability.ERROR:
            return replace(health, verdict=Verdict.UNKNOWN)
        if reach is Reachability.DOWN:
            parent = self._behind(device.name)
            if parent is not None:
                return replace(
                    health, verdict=Verdict.BEHIND, message=f"unreachable behind {parent}"
                )
            return replace(health, verdict=Verdict.DOWN)
        if reach is Reachability.STALE:
            return replace(health, verdict=Verdict.STALE)
        worst = CheckState.worst([check.state for check in health.checks])
        verdict = {
            CheckState.OK: Verdict.OK,
            CheckState.WARNING: Verdict.WARNING,
            CheckState.CRITICAL: Verdict.CRITICAL,
            CheckState.UNKNOWN: Verdict.UNKNOWN,
        }[worst]
        return replace(health, verdict=verdict)


@dataclass(frozen=True, slots=True)
class RoundInfo:
    started: float  # wall time
    duration: float
    hosts: int


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Hosts whose health changed, and the round that just ended if any."""

    hosts: tuple[HostHealth, ...]
    round: RoundInfo | None = None
    trouble: str | None = None  # the poller itself failed (shown in the header), or ""


def worst_exit(hosts: list[HostHealth]) -> int:
    """Nagios-style exit code of a set of hosts (the worst one's)."""
    codes = [host.exit_code for host in hosts] or [0]
    return max(codes, key=lambda code: SEVERITY[code])
