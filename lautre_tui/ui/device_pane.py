"""The selected device's pane: what it is, where it sits, and what it is linked to."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lautre_tui.model.layout import Check, Device, Layout
from lautre_tui.model.topology import dependents, transitive_dependents
from lautre_tui.ui.badges import Badge


def describe_check(check: Check) -> str:
    """One line saying what a check looks at, as declared in the layout."""
    parts: list[str] = []
    if check.process:
        parts.append(f"process {check.process}")
    if check.port:
        parts.append(f"port {check.port}")
    if check.service:
        parts.append(f"service {check.service}")
    if check.mount:
        parts.append(f"mount {check.mount}" + (f" ({check.fstype})" if check.fstype else ""))
    if check.file:
        parts.append(f"file {check.file}")
    if check.contains:
        parts.append(f"containing {check.contains!r}")
    if check.max_age is not None:
        parts.append(f"younger than {int(check.max_age // 3600)}h")
    if check.mdstat:
        parts.append("RAID arrays not degraded")
    if check.ipvs:
        parts.append(f"LVS {check.ipvs.virtual} with ≥{check.ipvs.min_real} real servers")
    if check.command:
        parts.append(f"command {check.command}")
    return ", ".join(parts)


def device_summary(layout: Layout, device: Device, badge: Badge) -> RenderableType:
    """Everything the layout says about `device`, as label/value rows."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | Text) -> None:
        if value:
            grid.add_row(label, value)

    row("State", Text(f"{badge.glyph} {badge.word}"))
    row("Kind", f"{device.kind.value}, {device.state.value}")
    row("Role", device.role)
    row("Software", ", ".join(device.software))
    units = f"U{device.u}" if device.height == 1 else f"U{device.u}-U{device.top}"
    row("Position", f"{device.rack}, {units} ({device.height} U)")
    ssh = layout.ssh_for(device)
    if device.kind.value in ("server",):
        row("SSH", f"{ssh.user or '(ssh config)'}@{ssh.host}:{ssh.port or 22}")
    if device.console is not None:
        link = device.console
        server = layout.consoles.get(link.server)
        url = f" — {server.url_for(link.port)}" if server is not None else ""
        row("Console", f"{link.server} port {link.port}, {link.baud} baud{url}")
    if device.power:
        row("Power", ", ".join(f"{link.pdu} outlet {link.outlet}" for link in device.power))
    feeds = [pdu.name for pdu in layout.pdus.values() if pdu.device == device.name]
    if feeds:
        row(
            "Is strip", ", ".join(f"{name} ({layout.pdus[name].outlets} outlets)" for name in feeds)
        )
    row("Depends on", ", ".join(device.depends_on))
    direct = dependents(layout, device.name)
    row("Needed by", ", ".join(direct))
    indirect = [name for name in transitive_dependents(layout, [device.name]) if name not in direct]
    row("…and then", ", ".join(indirect))
    if device.standby_for:
        row("Standby for", f"{device.standby_for} (off until {device.standby_for} fails)")
    twins = [d.name for d in layout.devices.values() if d.standby_for == device.name]
    row("Standby", ", ".join(twins))
    row("When off", device.impact)
    if device.protected:
        row("Protected", "yes: power actions need its name typed")
    row("Notes", device.notes)
    parts: list[RenderableType] = [grid]
    if device.services:
        checks = Table.grid(padding=(0, 1))
        checks.add_column(no_wrap=True)
        checks.add_column(overflow="fold", style="dim")
        for check in device.services:
            checks.add_row(check.name, describe_check(check))
        parts += [Text(f"\nChecks ({len(device.services)})", style="bold"), checks]
    return Group(*parts)


class DevicePane(VerticalScroll, can_focus=True):
    """Scrollable details of one device; focus it with Enter from the rack."""

    DEFAULT_CSS = """
    DevicePane { border: round $primary-darken-2; padding: 0 1; height: 1fr; }
    DevicePane:focus { border: round $accent; }
    """

    def __init__(self, layout: Layout, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.site_layout = layout
        self.device: Device | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="device-info")

    def show(self, device: Device, badge: Badge) -> None:
        self.device = device
        self.border_title = device.name
        self.border_subtitle = device.kind.value
        self.query_one("#device-info", Static).update(
            device_summary(self.site_layout, device, badge)
        )
