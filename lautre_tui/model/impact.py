"""What a power action does, worked out before anyone confirms it.

The outlets switched; the devices they feed, and whether each stays powered
through another outlet (dual PSU); everything that depends on those devices,
transitively, with what the layout says stops; their live state where known;
the protected devices touched; and, in plain words, whether the action cuts the
admins' own path to the strip or to the console server.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lautre_tui.model.layout import Device, DeviceKind, Layout, Lifecycle
from lautre_tui.model.topology import devices_on_outlet, transitive_dependents


class PowerAction(str, enum.Enum):
    STATUS = "status"
    ON = "on"
    OFF = "off"
    CYCLE = "cycle"

    @property
    def cuts_power(self) -> bool:
        return self in (PowerAction.OFF, PowerAction.CYCLE)


@dataclass(frozen=True, slots=True)
class FedDevice:
    name: str
    loses_power: bool
    stays_up_on: tuple[tuple[str, int], ...]  # other outlets still on
    live: str | None
    note: str  # standby, staging, protected…
    impact: str  # what the layout says stops when it is off


@dataclass(frozen=True, slots=True)
class Dependent:
    name: str
    through: str  # the device it depends on that goes dark
    impact: str
    live: str | None


@dataclass(frozen=True, slots=True)
class PowerImpact:
    action: PowerAction
    device: str
    outlets: tuple[tuple[str, int], ...]
    fed: tuple[FedDevice, ...]
    dependents: tuple[Dependent, ...]
    protected: tuple[str, ...]
    lockout: tuple[str, ...] = field(default=())

    @property
    def dark(self) -> list[str]:
        """Devices that lose power, then those that lose what they depend on."""
        if not self.action.cuts_power:
            return []
        return [f.name for f in self.fed if f.loses_power] + [d.name for d in self.dependents]

    def lines(self) -> list[str]:
        """The impact as an admin reads it before confirming."""
        verb = {
            PowerAction.ON: "switch ON",
            PowerAction.OFF: "switch OFF",
            PowerAction.CYCLE: "power-cycle (off, then on)",
            PowerAction.STATUS: "read",
        }[self.action]
        outlets = ", ".join(f"{pdu} outlet {n}" for pdu, n in self.outlets)
        lines = [f"This will {verb} {outlets}."]
        for fed in self.fed:
            state = f" [{fed.live}]" if fed.live else ""
            note = f" ({fed.note})" if fed.note else ""
            if not self.action.cuts_power:
                lines.append(f"  {fed.name}{note}{state} gets power and boots.")
            elif fed.loses_power:
                what = f": {fed.impact}" if fed.impact else ""
                lines.append(f"  {fed.name}{note}{state} LOSES POWER{what}.")
            else:
                others = ", ".join(f"outlet {n}" for _pdu, n in fed.stays_up_on)
                lines.append(f"  {fed.name}{note}{state} stays up on {others}.")
        if self.action.cuts_power and self.dependents:
            lines.append("Then, because they depend on it:")
            for dep in self.dependents:
                state = f" [{dep.live}]" if dep.live else ""
                what = f": {dep.impact}" if dep.impact else ""
                lines.append(f"  {dep.name}{state} (needs {dep.through}){what}{self._also(dep)}")
            lines.extend(self._together())
        if self.protected:
            lines.append(
                f"PROTECTED ({', '.join(self.protected)}): type {self.device!r} to confirm."
            )
        lines.extend(self.lockout)
        return lines

    def _also(self, dep: Dependent) -> str:
        """A layout's impact text counts on a twin ("ella carries the rest"): say it
        when that twin goes dark too."""
        dark = [name for name in _mentioned(dep.impact, self.dark) if name != dep.name]
        return f" (NOT this time: {', '.join(dark)} goes dark too)" if dark else ""

    def _together(self) -> list[str]:
        """Twins that count on each other and both go dark: what they share stops."""
        groups: list[list[str]] = []
        for dep in self.dependents:
            partners = [n for n in _mentioned(dep.impact, self.dark) if n != dep.name]
            if partners and not any(dep.name in group for group in groups):
                groups.append([dep.name, *partners])
        return [
            f"Together: {' and '.join(group)} {'both' if len(group) == 2 else 'all'} go dark, "
            "so what they share stops entirely."
            for group in groups
        ]

    def summary(self) -> str:
        """One line for the audit log."""
        dark = ", ".join(self.dark) or "nothing"
        return f"{self.action.value} {self.device}: dark: {dark}"


def _mentioned(text: str, names: list[str]) -> list[str]:
    """The device names that `text` mentions as words."""
    return [name for name in names if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]


def outlets_of(device: Device, only: int | None = None) -> tuple[tuple[str, int], ...]:
    links = tuple((link.pdu, link.outlet) for link in device.power)
    return tuple(link for link in links if only is None or link[1] == only)


def power_impact(
    layout: Layout,
    device_name: str,
    action: PowerAction,
    *,
    outlet: int | None = None,
    outlet_states: Mapping[tuple[str, int], bool] | None = None,
    live: Mapping[str, str] | None = None,
) -> PowerImpact:
    """The impact of `action` on `device_name`'s outlets (or only `outlet`).

    `outlet_states` (from the strip) tells which other outlets are still on;
    without it, they are assumed on. `live` maps device names to their live state.
    """
    device = layout.devices[device_name]
    switched = outlets_of(device, outlet)
    states = dict(outlet_states or {})
    live = live or {}
    fed: list[FedDevice] = []
    for pdu, number in switched:
        for other in devices_on_outlet(layout, pdu, number):
            if any(f.name == other.name for f in fed):
                continue
            remaining = tuple(
                link
                for link in outlets_of(other)
                if link not in switched and states.get(link, True)
            )
            fed.append(
                FedDevice(
                    other.name,
                    not remaining,
                    remaining,
                    live.get(other.name),
                    _note(other),
                    other.impact,
                )
            )
    losing = [f.name for f in fed if f.loses_power] if action.cuts_power else []
    dependents: list[Dependent] = []
    for name in transitive_dependents(layout, losing):
        dependent = layout.devices[name]
        through = next(
            (
                p
                for p in dependent.depends_on
                if p in losing or any(d.name == p for d in dependents)
            ),
            losing[0] if losing else "",
        )
        dependents.append(Dependent(name, through, dependent.impact, live.get(name)))
    dark = set(losing) | {d.name for d in dependents}
    touched = [device_name, *dark] if action.cuts_power else [device_name]
    protected = tuple(dict.fromkeys(n for n in touched if layout.devices[n].protected))
    return PowerImpact(
        action,
        device_name,
        switched,
        tuple(fed),
        tuple(dependents),
        protected,
        tuple(_lockout(layout, dark, action)),
    )


def _note(device: Device) -> str:
    notes = []
    if device.state is Lifecycle.STANDBY:
        notes.append("standby")
    elif device.state is Lifecycle.STAGING:
        notes.append("staging")
    if device.protected:
        notes.append("protected")
    return ", ".join(notes)


def _lockout(layout: Layout, dark: set[str], action: PowerAction) -> list[str]:
    """Plain-words warnings when the action cuts the admins' own path."""
    if not action.cuts_power:
        return []
    warnings: list[str] = []
    for pdu in layout.pdus.values():
        if pdu.device in dark:
            back = (
                "the strip brings it back by itself"
                if action is PowerAction.CYCLE
                else "you will not be able to switch it back on from here"
            )
            warnings.append(f"WARNING: {pdu.device} (the power strip) goes dark: {back}.")
    for server in layout.consoles.values():
        if server.device in dark:
            warnings.append(
                f"WARNING: {server.device} (the console server) goes dark: "
                "no serial console to any host until it is back."
            )
    switches = [n for n in dark if layout.devices[n].kind is DeviceKind.SWITCH]
    if switches and not warnings:
        warnings.append(
            f"WARNING: {', '.join(switches)} goes dark: hosts behind it become "
            "unreachable from here."
        )
    return warnings
