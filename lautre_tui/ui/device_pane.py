"""The selected device's pane: what it is, where it sits, and what it is linked to."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lautre_tui.model.durations import format_duration
from lautre_tui.model.health import HostHealth
from lautre_tui.model.layout import Check, Device, Layout
from lautre_tui.model.probe_format import CheckState
from lautre_tui.model.topology import dependents, transitive_dependents
from lautre_tui.ui.badges import Badge
from lautre_tui.ui.plain import plain

CHECK_STYLES = {
    CheckState.OK: "green",
    CheckState.WARNING: "yellow",
    CheckState.CRITICAL: "bold red",
    CheckState.UNKNOWN: "magenta",
}


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


def live_section(device: Device, health: HostHealth, badge: Badge) -> list[RenderableType]:
    """What the last rounds said: the host's message, figures and each check."""
    parts: list[RenderableType] = []
    now = time.time()
    if health.message and health.message != badge.word:
        style = "bold red" if health.verdict.value in ("critical", "down", "behind") else "yellow"
        parts.append(Text(health.message, style=style))
    figures = health.figures
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if figures.load is not None:
        grid.add_row("Load", " ".join(f"{value:.2f}" for value in figures.load))
    if figures.mem_total_kb:
        available = figures.mem_available_kb or 0
        used = 100 * (1 - available / figures.mem_total_kb)
        swap = ""
        if figures.swap_total_kb:
            swap_used = 100 * (1 - (figures.swap_free_kb or 0) / figures.swap_total_kb)
            swap = f", swap {swap_used:.0f}%"
        grid.add_row("Memory", f"{used:.0f}% of {figures.mem_total_kb // 1024} MB{swap}")
    if figures.disks:
        grid.add_row(
            "Disks",
            ", ".join(f"{mount} {figures.disk_percent(mount):.0f}%" for mount in figures.disks),
        )
    if figures.uptime is not None:
        grid.add_row("Uptime", format_duration(figures.uptime))
    if health.last_answer is not None:
        grid.add_row("Answered", f"{format_duration(now - health.last_answer)} ago")
    parts.append(grid)
    if health.checks:
        checks = Table.grid(padding=(0, 1))
        checks.add_column(no_wrap=True)
        checks.add_column(no_wrap=True)
        checks.add_column(no_wrap=True, style="dim")
        checks.add_column(overflow="fold")
        for check in health.checks:
            soft = (
                f" (soft {check.current.name}, {check.fails}x)"
                if check.current is not check.state
                else ""
            )
            checks.add_row(
                Text(check.state.name, style=CHECK_STYLES[check.state]),
                plain(check.name),
                format_duration(now - check.checked_at),
                plain(check.output + soft),
            )
        parts += [Text("\nChecks", style="bold"), checks]
    return parts


def device_summary(
    layout: Layout, device: Device, badge: Badge, health: HostHealth | None = None
) -> RenderableType:
    """Everything the layout says about `device`, as label/value rows, then what the
    last rounds said of it."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | Text) -> None:
        if value:  # layout text is shown as text: Rich would parse "[…]" as markup
            grid.add_row(label, plain(value) if isinstance(value, str) else value)

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
    if health is not None and health.verdict.value != "unpolled":
        return Group(grid, Text(""), *live_section(device, health, badge))
    if device.services:
        checks = Table.grid(padding=(0, 1))
        checks.add_column(no_wrap=True)
        checks.add_column(overflow="fold", style="dim")
        for check in device.services:
            checks.add_row(plain(check.name), plain(describe_check(check)))
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

    def show(
        self,
        device: Device,
        badge: Badge,
        health: HostHealth | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        """`notes` (maintenance, acknowledgements) are shown first, as plain text."""
        self.device = device
        self.border_title = device.name
        self.border_subtitle = device.kind.value
        summary = device_summary(self.site_layout, device, badge, health)
        if notes:
            summary = Group(*(plain(line, "bold yellow") for line in notes), Text(""), summary)
        self.query_one("#device-info", Static).update(summary)
