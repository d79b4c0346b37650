"""The host figures (load, memory, uptime, disks) read back from the perfdata of
the host check that `lautre-tui check DEVICE host` gives Icinga 2
(`one_check.host_perfdata`), so that the device pane shows them when Icinga is
the status source as when the poller is.

Icinga keeps a disk's use as a percentage only: it is kept as used per mille of
a nominal size of 1000, which is what the pane shows (the percentage).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lautre_tui.model.probe_format import HostFigures

VALUE = re.compile(r"^\s*(?:'([^']*)'|([^=\s]+))=(-?[0-9.]+)[a-zA-Z%]*$")


def _value(item: str) -> tuple[str, float, float | None] | None:
    """`'label'=value[unit];warn;crit;min;max`: the label, the value and the max."""
    head, *fields = item.split(";")
    found = VALUE.match(head)
    if found is None:
        return None
    label = found.group(1) if found.group(1) is not None else found.group(2)
    try:
        high = float(fields[3]) if len(fields) > 3 and fields[3] else None
    except ValueError:
        high = None
    return label, float(found.group(3)), high


def host_figures(perfdata: Iterable[Any] | None) -> HostFigures | None:
    """The figures in a host check's perfdata (strings, as Icinga keeps them); None
    when there is none of ours (an older check, another plugin)."""
    values: dict[str, tuple[float, float | None]] = {}
    for item in perfdata or ():
        parsed = _value(item) if isinstance(item, str) else None
        if parsed is not None:
            values[parsed[0]] = parsed[1:]
    loads = [values[f"load{n}"][0] for n in (1, 5, 15) if f"load{n}" in values]
    used, total = values.get("mem_used", (0.0, None))
    uptime = values.get("uptime")
    disks = {
        label.removeprefix("disk "): (1000, round(value * 10))
        for label, (value, _max) in values.items()
        if label.startswith("disk ")
    }
    if not loads and total is None and uptime is None and not disks:
        return None
    total_kb = int(total // 1024) if total else None
    return HostFigures(
        load=(loads[0], loads[1], loads[2]) if len(loads) == 3 else None,
        mem_total_kb=total_kb,
        mem_available_kb=total_kb - int(used // 1024) if total_kb else None,
        uptime=uptime[0] if uptime is not None else None,
        disks=disks,
    )
