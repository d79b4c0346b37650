"""Fit a rack's units into the rows a terminal has, without losing a device.

A 42 U rack drawn one row per unit needs 42 rows; an admin on a bastion often
has 24. Every device keeps at least one row; empty runs fold into one row
("⋮ 9 U free"), the largest runs first; what is left grows devices and runs back
towards their true height. At 48 rows the rack is drawn to scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of units from `top` down to `bottom`: one device, or empty units."""

    top: int
    bottom: int
    device: str | None

    @property
    def units(self) -> int:
        return self.top - self.bottom + 1


@dataclass(frozen=True, slots=True)
class RackRow:
    """A segment as drawn: its rows, and whether an empty run next to it had no room."""

    segment: Segment
    rows: int
    gap_above: bool = False
    gap_below: bool = False


def segments(rack_height: int, devices: Sequence[tuple[str, int, int]]) -> list[Segment]:
    """The rack from top to bottom as device and empty segments.

    `devices` holds (name, lowest unit, height). Overlaps are a layout error
    reported elsewhere; here the first device met keeps the units.
    """
    owner: dict[int, str] = {}
    for device, low, height in devices:
        for unit in range(low, low + height):
            if 1 <= unit <= rack_height:
                owner.setdefault(unit, device)
    result: list[Segment] = []
    unit = rack_height
    while unit >= 1:
        name = owner.get(unit)
        bottom = unit
        while bottom - 1 >= 1 and owner.get(bottom - 1) == name:
            bottom -= 1
        result.append(Segment(unit, bottom, name))
        unit = bottom - 1
    return result


def plan_rows(segments_top_down: Sequence[Segment], available: int) -> list[RackRow]:
    """Rows for each segment within `available` rows (never fewer than one per device)."""
    rows = {i: 0 for i in range(len(segments_top_down))}
    devices = [i for i, seg in enumerate(segments_top_down) if seg.device is not None]
    for i in devices:
        rows[i] = 1
    budget = available - len(devices)
    empties = sorted(
        (i for i, seg in enumerate(segments_top_down) if seg.device is None),
        key=lambda i: -segments_top_down[i].units,
    )
    for i in empties:
        if budget <= 0:
            break
        rows[i] = 1
        budget -= 1
    while budget > 0:
        shown = [i for i in rows if rows[i] > 0 and rows[i] < segments_top_down[i].units]
        if not shown:
            break
        widest = max(shown, key=lambda i: segments_top_down[i].units - rows[i])
        rows[widest] += 1
        budget -= 1
    planned: list[RackRow] = []
    gap = False
    for i, segment in enumerate(segments_top_down):
        if rows[i] == 0:
            gap = True
            continue
        planned.append(RackRow(segment, rows[i], gap_above=gap))
        gap = False
    if gap and planned:
        last = planned[-1]
        planned[-1] = RackRow(last.segment, last.rows, last.gap_above, gap_below=True)
    return planned
