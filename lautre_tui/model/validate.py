"""Checks that need the whole layout: references, overlaps, reuse and cycles."""

from __future__ import annotations

from collections.abc import Iterable

from lautre_tui.model.errors import LayoutError, Position, did_you_mean
from lautre_tui.model.layout import Device, DeviceKind, Layout, Lifecycle
from lautre_tui.model.thresholds import has_figure


def validate_layout(layout: Layout, broken: frozenset[str] = frozenset()) -> list[LayoutError]:
    """Every whole-layout problem found, in no particular order.

    `broken` names entries that exist in the file but had errors of their own:
    references to them are not reported again, so one typo gives one error.
    """
    errors: list[LayoutError] = []
    errors += _racks(layout)
    errors += _placement(layout, broken)
    errors += _references(layout, broken)
    errors += _links_used_twice(layout)
    errors += _cycles(layout)
    errors += _check_names(layout)
    return errors


def _unknown(position: Position, what: str, name: str, known: Iterable[str]) -> LayoutError:
    return LayoutError(position, f"unknown {what} {name!r}{did_you_mean(name, known)}")


def _racks(layout: Layout) -> list[LayoutError]:
    errors: list[LayoutError] = []
    seen: dict[str, Position] = {}
    for rack in layout.racks:
        if rack.name in seen:
            message = f"duplicate rack name {rack.name!r} (first at line {seen[rack.name].line})"
            errors.append(LayoutError(rack.position, message))
        seen.setdefault(rack.name, rack.position)
    return errors


def _placement(layout: Layout, broken: frozenset[str]) -> list[LayoutError]:
    errors: list[LayoutError] = []
    occupied: dict[tuple[str, int], Device] = {}
    for device in layout.devices.values():
        rack = layout.rack(device.rack)
        if rack is None:
            if device.rack not in broken:
                known = [rack.name for rack in layout.racks]
                errors.append(_unknown(device.position_of("rack"), "rack", device.rack, known))
            continue
        if device.top > rack.height:
            errors.append(
                LayoutError(
                    device.position_of("u"),
                    f"device {device.name} occupies U{device.u}-U{device.top}, "
                    f"beyond the {rack.height} U of rack {rack.name}",
                )
            )
        for unit in device.units:
            other = occupied.get((rack.name, unit))
            if other is not None:
                errors.append(
                    LayoutError(
                        device.position_of("u"),
                        f"device {device.name} overlaps {other.name} "
                        f"at U{unit} of rack {rack.name}",
                    )
                )
                break
        for unit in device.units:
            occupied.setdefault((rack.name, unit), device)
    return errors


def _references(layout: Layout, broken: frozenset[str]) -> list[LayoutError]:
    errors: list[LayoutError] = []
    devices = layout.devices
    known_devices = set(devices) | broken
    known_consoles = set(layout.consoles) | broken
    for owner, section in ((layout.pdus, "pdu"), (layout.consoles, "console server")):
        for item in owner.values():
            if item.device is not None and item.device not in known_devices:
                errors.append(
                    _unknown(item.position, f"device for {section}", item.device, devices)
                )
    for device in devices.values():
        for link in device.power:
            pdu = layout.pdus.get(link.pdu)
            if pdu is None:
                if link.pdu not in broken:
                    errors.append(_unknown(link.position, "power strip", link.pdu, layout.pdus))
            elif link.outlet > pdu.outlets:
                errors.append(
                    LayoutError(
                        link.position,
                        f"outlet {link.outlet} does not exist on {pdu.name} "
                        f"(it has outlets 1-{pdu.outlets})",
                    )
                )
        if device.console is not None and device.console.server not in known_consoles:
            errors.append(
                _unknown(
                    device.console.position,
                    "console server",
                    device.console.server,
                    layout.consoles,
                )
            )
        for name in device.depends_on:
            if name not in known_devices:
                errors.append(_unknown(device.position_of("depends_on"), "device", name, devices))
            elif name == device.name:
                errors.append(
                    LayoutError(
                        device.position_of("depends_on"), f"device {device.name} depends on itself"
                    )
                )
        if device.standby_for is not None and device.standby_for not in known_devices:
            errors.append(
                _unknown(device.position_of("standby_for"), "device", device.standby_for, devices)
            )
    return errors


def _links_used_twice(layout: Layout) -> list[LayoutError]:
    errors: list[LayoutError] = []
    outlets: dict[tuple[str, int], str] = {}
    ports: dict[tuple[str, int], str] = {}
    for device in layout.devices.values():
        for link in device.power:
            key = (link.pdu, link.outlet)
            if key in outlets:
                errors.append(
                    LayoutError(
                        link.position,
                        f"outlet {link.outlet} of {link.pdu} is already used by {outlets[key]}",
                    )
                )
            outlets.setdefault(key, device.name)
        if device.console is not None:
            key = (device.console.server, device.console.port)
            if key in ports:
                errors.append(
                    LayoutError(
                        device.console.position,
                        f"console port {key[1]} of {key[0]} is already used by {ports[key]}",
                    )
                )
            ports.setdefault(key, device.name)
    return errors


def _cycles(layout: Layout) -> list[LayoutError]:
    """Report each dependency cycle once, at its first device in file order.

    Tarjan's strongly connected components, iteratively: linear in devices and
    dependencies (a 6000-device chain is checked at once, and without recursion)."""
    graph = {
        name: [p for p in device.depends_on if p in layout.devices and p != name]
        for name, device in layout.devices.items()
    }
    order = {name: index for index, name in enumerate(layout.devices)}
    errors: list[LayoutError] = []
    for component in _strong_components(graph):
        if len(component) < 2:
            continue
        first = min(component, key=order.__getitem__)
        path = [*_path_back(graph, first, set(component)), first]
        shown = " -> ".join(path if len(path) <= 12 else [*path[:10], "…", first])
        more = f" ({len(path) - 1} devices)" if len(path) > 12 else ""
        errors.append(
            LayoutError(
                layout.devices[first].position_of("depends_on"), f"dependency cycle: {shown}{more}"
            )
        )
    return errors


def _strong_components(graph: dict[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = graph[node]
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _path_back(graph: dict[str, list[str]], start: str, members: set[str]) -> list[str]:
    """A shortest path from `start` back to itself inside one component (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                if nxt in members and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]


def _check_names(layout: Layout) -> list[LayoutError]:
    errors: list[LayoutError] = []
    for device in layout.devices.values():
        seen: set[str] = set()
        for check in device.services:
            if check.name in seen:
                errors.append(
                    LayoutError(
                        check.position, f"device {device.name}: two checks named {check.name!r}"
                    )
                )
            seen.add(check.name)
    return errors


def measured_by(layout: Layout, device: Device) -> str:
    """How the device's state is measured: `ssh` (servers are probed), `reach`
    (TCP or ping), `pdu` (a strip's own card), or `none`."""
    if device.kind is DeviceKind.SERVER:
        return "ssh"
    if device.reach is not None:
        return "reach"
    if layout.strip_of(device) is not None:
        return "pdu"
    return "none"


def layout_warnings(layout: Layout) -> list[LayoutError]:
    """What is legal but leaves admins blind: a device in production that nothing
    can check would show "unmonitored" for ever; thresholds on a check without a
    figure would never fire."""
    return _unmonitored(layout) + _idle_thresholds(layout)


def _idle_thresholds(layout: Layout) -> list[LayoutError]:
    return [
        LayoutError(
            check.position,
            f"warning: check {check.name!r} of device {device.name} has warn/crit but no "
            "figure to compare them with (only mount, file and ipvs checks have one)",
        )
        for device in layout.devices.values()
        for check in device.services
        if (check.warn is not None or check.crit is not None) and not has_figure(check)
    ]


def _unmonitored(layout: Layout) -> list[LayoutError]:
    return [
        LayoutError(
            device.position,
            f"warning: device {device.name} is in production but nothing checks it: "
            "add reach: {tcp: [PORT]} or reach: {ping: true}",
        )
        for device in layout.devices.values()
        if device.state is Lifecycle.PRODUCTION and measured_by(layout, device) == "none"
    ]
