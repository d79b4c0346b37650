"""Maintenance windows, acknowledgements and the before/after comparison, as data.

Pure: no database, no clock of its own (every function takes `now`). The rules
follow Icinga's: a window hides a device's problems from the alert counts until
it ends; an acknowledgement ends when its check is OK again, a plain one also
when the check's state changes (WARNING → CRITICAL), a sticky one only at OK;
both end at their expiry if they have one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from lautre_tui.model.durations import parse_duration
from lautre_tui.model.health import HostHealth, Reachability, Verdict

HOST_CHECK = ""  # an acknowledgement of the host itself (down, unreachable…)
WARN_BEFORE_END = 300.0  # the header warns the window's owner five minutes before
_CLOCK = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s*$")
_VOLATILE = re.compile(r"\b\d+s old\b")  # file ages grow every round


def parse_until(text: str, now: float) -> float:
    """The end of a window: a duration (`90m`, `2h`) from `now`, or a clock time
    (`18:30`, today, or tomorrow if already past). ValueError with a message."""
    match = _CLOCK.match(text)
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} is not a time of day (such as 18:30)")
        today = datetime.fromtimestamp(now)
        end = today.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if end.timestamp() <= now:
            end += timedelta(days=1)
        return end.timestamp()
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise ValueError(
            f"{text!r} is neither a duration (30m, 2h) nor an end time (18:30)"
        ) from error
    if seconds <= 0:
        raise ValueError("a maintenance window must last more than 0 s")
    if seconds > LONGEST_WINDOW:
        raise ValueError(f"{text!r}: a maintenance window lasts a year at most")
    return now + seconds


LONGEST_WINDOW = 366 * 86400  # longer is a typo, and past what a clock can print


def clock(when: float) -> str:
    return time.strftime("%H:%M", time.localtime(when))


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    batch: int  # windows opened together (a device and its dependents)
    device: str
    root: str  # the device the admin named
    user: str
    source: str
    reason: str
    started: float
    ends: float
    ended: float | None = None
    end_note: str = ""

    def open_at(self, now: float) -> bool:
        return self.ended is None and now < self.ends

    def describe(self) -> str:
        return f"maintenance by {self.user} until {clock(self.ends)}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Ack:
    id: int
    device: str
    check: str  # HOST_CHECK for the host itself
    state: str  # the state acknowledged: a check state name, or the host's verdict
    user: str
    source: str
    comment: str
    sticky: bool
    created: float
    expires: float | None = None
    ended: float | None = None
    end_note: str = ""

    def describe(self) -> str:
        what = self.check or "host"
        return f"{what} acknowledged by {self.user}: {self.comment}"


def host_problem(health: HostHealth) -> str | None:
    """The host's own problem (not its checks'), as a state word, or None."""
    if health.reachability is Reachability.UP:
        return None
    if health.exit_code == 0 or health.verdict is Verdict.UNPOLLED:
        return None
    return str(health.verdict.value)


def current_states(health: HostHealth) -> dict[str, str]:
    """What an acknowledgement of this host is compared with: HOST_CHECK → the
    host's problem ("OK" when it has none), each check → its hard state."""
    states = {HOST_CHECK: host_problem(health) or "OK"}
    if health.reachability is Reachability.UP:
        states.update({check.name: check.state.name for check in health.checks})
    return states


def problems(health: HostHealth) -> dict[str, str]:
    """Only the non-OK entries of `current_states`."""
    return {name: state for name, state in current_states(health).items() if state != "OK"}


def ack_ends(ack: Ack, current: str | None, now: float) -> str | None:
    """Why `ack` ends now (a note for the history), or None if it holds.
    `current` is the acknowledged check's state now (None: not known yet)."""
    if ack.expires is not None and now >= ack.expires:
        return "expired"
    if current is None:
        return None
    if current == "OK":
        return "recovered"
    if not ack.sticky and current != ack.state:
        return f"state changed ({ack.state} → {current})"
    return None


def handled(
    health: HostHealth, windows: Iterable[Window], acks: Iterable[Ack], now: float
) -> str | None:
    """ "maintenance" or "acknowledged" when the host's problems are all handled,
    else None (also None when it has no problem: nothing to handle)."""
    if health.exit_code == 0:
        return None
    if any(w.device == health.device and w.open_at(now) for w in windows):
        return "maintenance"
    acked = {a.check for a in acks if a.device == health.device and a.ended is None}
    open_problems = problems(health)
    if open_problems and set(open_problems) <= acked:
        return "acknowledged"
    return None


# -- before and after ---------------------------------------------------------------


class CheckSnapshot(NamedTuple):  # a tuple: 12 000 of them are made in a blink
    device: str
    check: str  # a check's name, or "mounts" for the host's mounted filesystems
    state: str
    output: str


def snapshot(health: HostHealth) -> list[CheckSnapshot]:
    """Every check of a host as it is now, its host state and its mounts."""
    rows = [
        CheckSnapshot(health.device, f"check {check.name}", check.current.name, check.output)
        for check in health.checks
    ]
    rows.append(CheckSnapshot(health.device, "host", health.verdict.value, ""))
    if health.figures.disks:
        mounts = " ".join(sorted(health.figures.disks))
        rows.append(CheckSnapshot(health.device, "mounts", "OK", mounts))
    return rows


@dataclass(frozen=True, slots=True)
class Difference:
    device: str
    check: str
    before: CheckSnapshot | None
    after: CheckSnapshot | None

    def line(self) -> str:
        name = f"{self.device} {self.check}"
        if self.after is None:
            return f"{name}: not measured now (was {_said(self.before)})"
        if self.before is None:
            return f"{name}: {_said(self.after)} (new since maintenance began)"
        return f"{name}: {_said(self.after)} (was {_said(self.before)})"


def _said(row: CheckSnapshot | None) -> str:
    if row is None:
        return "nothing"
    if not row.output:
        return row.state
    return row.output if row.state == "OK" else f"{row.state} {row.output}"


def _same(before: CheckSnapshot, after: CheckSnapshot) -> bool:
    if before.state != after.state:
        return False
    if before.output == after.output:
        return True
    return _VOLATILE.sub("…", before.output) == _VOLATILE.sub("…", after.output)


@dataclass(frozen=True, slots=True)
class Comparison:
    checks: int
    differences: tuple[Difference, ...]

    @property
    def all_back(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        if self.all_back:
            return f"all {self.checks} checks back as before"
        return f"{len(self.differences)} of {self.checks} checks differ from before"

    def lines(self) -> list[str]:
        return [self.summary(), *(d.line() for d in self.differences)]


def compare(before: Iterable[CheckSnapshot], after: Iterable[CheckSnapshot]) -> Comparison:
    """Checks whose state or output changed (file ages aside), appeared or vanished."""
    old: Mapping[tuple[str, str], CheckSnapshot] = {(r.device, r.check): r for r in before}
    new: Mapping[tuple[str, str], CheckSnapshot] = {(r.device, r.check): r for r in after}
    differences = [
        Difference(key[0], key[1], old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if key not in old or key not in new or not _same(old[key], new[key])
    ]
    return Comparison(len(old), tuple(differences))
