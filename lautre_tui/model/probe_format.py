"""The status probe's wire format, shared by the script builder, its parser and
the lab's hosts that answer it.

The script sent to a host is a fixed library of sh functions followed by one
call line per check part (`c_port 3 80`), each argument quoted with
`shlex.quote`. The answer is line-oriented and versioned:

    LTP1 BEGIN
    H load 0.12 0.10 0.05
    H mem MEMTOTAL_KB MEMAVAILABLE_KB SWAPTOTAL_KB SWAPFREE_KB
    H uptime SECONDS
    H disk MOUNTPOINT SIZE_KB USED_KB
    C INDEX STATE message to the end of the line
    F INDEX NUMBER
    LTP1 END

A check with several parts (process and port) gets one `C` line per part; its
state is the worst of them. An `F` line gives the figure a check measured (a
file's age in seconds, an LVS service's real servers), which the bastion judges
against the check's `warn`/`crit` (`model.thresholds`). Anything else is
garbage: the parser says why.
"""

from __future__ import annotations

import enum
import shlex
from dataclasses import dataclass, field

from lautre_tui.model.checks import Check

MARKER = "# lautre-tui probe v1"
BEGIN = "LTP1 BEGIN"
END = "LTP1 END"
CALL_PREFIX = "c_"


class CheckState(enum.IntEnum):
    """Nagios' states and exit codes; the order is the severity, worst last."""

    OK = 0
    WARNING = 1
    UNKNOWN = 3
    CRITICAL = 2

    @property
    def severity(self) -> int:
        return {0: 0, 1: 1, 3: 2, 2: 3}[self.value]

    @classmethod
    def worst(cls, states: list[CheckState]) -> CheckState:
        return max(states, key=lambda state: state.severity, default=cls.OK)


@dataclass(frozen=True, slots=True)
class HostFigures:
    """What every round reports without being asked: load, memory, disks, uptime."""

    load: tuple[float, float, float] | None = None
    mem_total_kb: int | None = None
    mem_available_kb: int | None = None
    swap_total_kb: int | None = None
    swap_free_kb: int | None = None
    uptime: float | None = None
    disks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def disk_percent(self, mount: str) -> float | None:
        size, used = self.disks.get(mount, (0, 0))
        return 100.0 * used / size if size else None


@dataclass(frozen=True, slots=True)
class CheckResult:
    state: CheckState
    output: str


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """A parsed answer; `error` says why it could not be trusted (then UNKNOWN)."""

    figures: HostFigures
    results: dict[int, CheckResult]
    error: str | None = None
    measured: dict[int, float] = field(default_factory=dict)  # `F` lines, by check


def check_calls(index: int, check: Check) -> list[list[str]]:
    """The call lines (as argument lists) that check `check`, numbered `index`."""
    calls: list[list[str]] = []
    idx = str(index)
    if check.process:
        calls.append(["c_process", idx, check.process])
    if check.port:
        calls.append(["c_port", idx, str(check.port)])
    if check.service:
        calls.append(["c_service", idx, check.service])
    if check.mount:
        calls.append(["c_mount", idx, check.mount, check.fstype or ""])
    if check.file:
        age = "" if check.max_age is None else str(int(check.max_age))
        calls.append(["c_file", idx, check.file, age, check.contains or ""])
    if check.mdstat:
        calls.append(["c_mdstat", idx])
    if check.ipvs:
        calls.append(["c_ipvs", idx, check.ipvs.virtual, str(check.ipvs.min_real)])
    if check.command:
        calls.append(["c_command", idx, check.command])
    return calls


def format_call(arguments: list[str]) -> str:
    """One line of sh: every argument quoted, newlines included, so nothing runs."""
    return shlex.join(arguments)


def parse_calls(script: str) -> list[list[str]]:
    """The check calls of a probe script, for hosts that answer without a shell."""
    calls: list[list[str]] = []
    for line in script.splitlines():
        if line.startswith(CALL_PREFIX):
            try:
                calls.append(shlex.split(line))
            except ValueError:
                continue
    return calls


def one_line(text: str) -> str:
    """A message fit for a `C` line: no newline, no control character, bounded."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text.replace("\n", " "))
    return cleaned.strip()[:200]


def format_result(index: int, state: CheckState, message: str) -> str:
    return f"C {index} {state.name} {one_line(message)}"


def format_measure(index: int, value: float) -> str:
    return f"F {index} {value:g}"


def format_figures(figures: HostFigures) -> list[str]:
    lines: list[str] = []
    if figures.load is not None:
        lines.append("H load " + " ".join(f"{value:.2f}" for value in figures.load))
    if figures.mem_total_kb is not None:
        lines.append(
            f"H mem {figures.mem_total_kb} {figures.mem_available_kb or 0} "
            f"{figures.swap_total_kb or 0} {figures.swap_free_kb or 0}"
        )
    if figures.uptime is not None:
        lines.append(f"H uptime {int(figures.uptime)}")
    for mount, (size, used) in figures.disks.items():
        lines.append(f"H disk {mount} {size} {used}")
    return lines


def parse_report(text: str, expected: int) -> ProbeReport:
    """Parse an answer to a probe with `expected` checks; never raises.

    Checks the answer lacks are UNKNOWN; a missing BEGIN/END or a malformed line
    makes the whole answer untrusted, with the reason in `error`.
    """
    lines = [line.rstrip("\r") for line in text.splitlines()]
    figures = HostFigures()
    states: dict[int, list[CheckState]] = {}
    messages: dict[int, list[str]] = {}
    try:
        start = lines.index(BEGIN)
        stop = lines.index(END, start)
    except ValueError:
        return _untrusted(
            expected, "no probe answer (missing LTP1 BEGIN/END): " + one_line(text[:80])
        )
    load, mem, uptime, disks = None, None, None, {}
    measured: dict[int, float] = {}
    for number, line in enumerate(lines[start + 1 : stop], start=start + 2):
        words = line.split(" ", 3)
        try:
            if words[0] == "H":
                fields = line.split()
                if fields[1] == "load":
                    load = (float(fields[2]), float(fields[3]), float(fields[4]))
                elif fields[1] == "mem":
                    mem = tuple(int(value) for value in fields[2:6])
                    if len(mem) != 4:
                        raise ValueError("mem needs 4 numbers")
                elif fields[1] == "uptime":
                    uptime = float(fields[2])
                elif fields[1] == "disk":
                    disks[one_line(fields[2])] = (int(fields[3]), int(fields[4]))
            elif words[0] == "F":
                index = int(words[1])
                if not 0 <= index < expected:
                    raise ValueError(f"no check number {index}")
                measured[index] = float(words[2])
            elif words[0] == "C":
                index = int(words[1])
                state = CheckState[words[2]]
                if not 0 <= index < expected:
                    raise ValueError(f"no check number {index}")
                states.setdefault(index, []).append(state)
                messages.setdefault(index, []).append(one_line(words[3]) if len(words) > 3 else "")
            else:
                raise ValueError("unknown line")
        except (IndexError, KeyError, ValueError) as error:
            return _untrusted(
                expected, f"garbage at line {number}: {one_line(line[:60])!r} ({error})"
            )
    if mem is not None:
        figures = HostFigures(load, mem[0], mem[1], mem[2], mem[3], uptime, disks)
    else:
        figures = HostFigures(load=load, uptime=uptime, disks=disks)
    results = {
        index: CheckResult(
            CheckState.worst(states[index]), "; ".join(m for m in messages[index] if m)
        )
        for index in states
    }
    for index in range(expected):
        results.setdefault(index, CheckResult(CheckState.UNKNOWN, "no answer for this check"))
    return ProbeReport(figures, results, measured=measured)


def _untrusted(expected: int, reason: str) -> ProbeReport:
    results = {index: CheckResult(CheckState.UNKNOWN, reason) for index in range(expected)}
    return ProbeReport(HostFigures(), results, reason)
