"""Who feeds whom and who depends on whom, derived from the layout alone."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from lautre_tui.model.layout import Device, Layout


def dependents(layout: Layout, name: str) -> list[str]:
    """Devices that list `name` in their depends_on, in file order."""
    return [device.name for device in layout.devices.values() if name in device.depends_on]


def transitive_dependents(layout: Layout, names: Iterable[str]) -> list[str]:
    """Everything that depends on any of `names`, directly or not, nearest first."""
    start = list(names)
    seen = set(start)
    order: list[str] = []
    queue = deque(start)
    while queue:
        for child in dependents(layout, queue.popleft()):
            if child not in seen:
                seen.add(child)
                order.append(child)
                queue.append(child)
    return order


def devices_on_outlet(layout: Layout, pdu: str, outlet: int) -> list[Device]:
    """The devices an outlet feeds (usually one; a shelf of small boxes may share)."""
    return [
        device
        for device in layout.devices.values()
        if any(link.pdu == pdu and link.outlet == outlet for link in device.power)
    ]


def outlet_map(layout: Layout, pdu: str) -> dict[int, list[str]]:
    """Every outlet of a strip with the names of the devices it feeds (empty if none)."""
    strip = layout.pdus[pdu]
    return {
        outlet: [device.name for device in devices_on_outlet(layout, pdu, outlet)]
        for outlet in range(1, strip.outlets + 1)
    }
