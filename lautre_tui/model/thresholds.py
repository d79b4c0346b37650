"""`warn`/`crit` of the checks that have a figure, judged on the bastion.

A check's figure is what the probe measured for it: a mount's disk use (the
round's `H disk` line: local filesystems only), a file's age in seconds or an
LVS service's real servers (`F` lines). The judged figure goes into the check's
output as Nagios performance data (`| 'label'=value;warn;crit`), so that what is
shown is what was compared. Checks without a figure ignore `warn`/`crit`
(`lautre-tui validate` warns about them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from lautre_tui.model.checks import Check
from lautre_tui.model.probe_format import CheckResult, CheckState, ProbeReport


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure of a check and how it is judged."""

    label: str  # the perfdata label
    value: float
    unit: str  # Nagios' units: `%`, `s`, or none
    low_is_bad: bool  # real servers: fewer is worse; disk use and age: more is worse


def has_figure(check: Check) -> bool:
    return bool(check.mount or check.file or check.ipvs)


def judge_thresholds(checks: Sequence[Check], report: ProbeReport) -> ProbeReport:
    """`report` with the checks that have `warn` or `crit` judged on their figure."""
    if report.error is not None:
        return report
    results = dict(report.results)
    for index, check in enumerate(checks):
        result = results.get(index)
        if result is None or (check.warn is None and check.crit is None) or not has_figure(check):
            continue
        figure = _figure(check, index, report)
        if figure is None:
            if result.state is CheckState.OK:
                results[index] = CheckResult(CheckState.UNKNOWN, f"{result.output}; no figure")
            continue
        results[index] = _judged(check, figure, result)
    return replace(report, results=results)


def _figure(check: Check, index: int, report: ProbeReport) -> Figure | None:
    if check.mount:
        used = report.figures.disk_percent(check.mount)
        return None if used is None else Figure(check.mount, used, "%", low_is_bad=False)
    measured = report.measured.get(index)
    if measured is None:
        return None
    if check.file:
        return Figure("age", measured, "s", low_is_bad=False)
    return Figure("real", measured, "", low_is_bad=True)


def _judged(check: Check, figure: Figure, result: CheckResult) -> CheckResult:
    def beyond(threshold: float | None) -> bool:
        if threshold is None:
            return False
        return figure.value < threshold if figure.low_is_bad else figure.value > threshold

    state = CheckState.OK
    if beyond(check.warn):
        state = CheckState.WARNING
    if beyond(check.crit):
        state = CheckState.CRITICAL
    perfdata = (
        f"'{figure.label}'={_number(figure.value)}{figure.unit};"
        f"{_number(check.warn)};{_number(check.crit)}"
    )
    return CheckResult(CheckState.worst([result.state, state]), f"{result.output} | {perfdata}")


def _number(value: float | None) -> str:
    """Plain decimal as Nagios reads perfdata (`10000000`, not `1e+07`), to 0.01."""
    return "" if value is None else f"{round(value, 2):.15g}"
