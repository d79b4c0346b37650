"""The selected device's pane: what it is, where it sits, and what it is linked to."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lautre_tui.model.checks import Check
from lautre_tui.model.durations import format_duration
from lautre_tui.model.health import CheckHealth, HostHealth
from lautre_tui.model.layout import Device, Layout
from lautre_tui.model.probe_format import CheckState
from lautre_tui.model.topology import dependents, transitive_dependents
from lautre_tui.ui.badges import CHECK_GLYPHS, SOFT_GLYPHS, Badge
from lautre_tui.ui.plain import plain
from lautre_tui.ui.tones import Tones, tones_of


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


CHECK_ORDER = {CheckState.CRITICAL: 0, CheckState.WARNING: 1, CheckState.UNKNOWN: 2}


def check_label(check: CheckHealth, soft_fails: int) -> tuple[str, str, CheckState]:
    """(glyph, words, state to colour by): a check failing but not yet hard says so,
    `CRITICAL (soft 1/3)`, with a hollow glyph, instead of a green OK."""
    if check.current is not check.state and check.current is not CheckState.OK:
        glyph = SOFT_GLYPHS[check.current]
        return glyph, f"{check.current.name} (soft {check.fails}/{soft_fails})", check.current
    return CHECK_GLYPHS[check.state], check.state.name, check.state


def checks_lines(tones: Tones, health: HostHealth, soft_fails: int) -> Group:
    """One line per check, failing first (CRITICAL, WARNING, UNKNOWN, then OK): the
    glyph says the state (readable without colour), then the name, then the first
    line of its output, cut with an ellipsis at the pane's width (Enter shows it
    all). A failing check reads as a sentence, so that its output fits at 80x24."""
    ordered = sorted(
        health.checks,
        key=lambda c: CHECK_ORDER.get(c.current if c.current is not CheckState.OK else c.state, 3),
    )
    width = max(len(check.name) for check in ordered)
    lines: list[Text] = []
    for check in ordered:
        glyph, words, state = check_label(check, soft_fails)
        first = check.output.splitlines()[0] if check.output else ""
        line = Text(no_wrap=True, overflow="ellipsis")
        if state is CheckState.OK:
            line.append(f"{glyph} ", style=tones.check(state))
            line.append_text(plain(check.name.ljust(width)))
            line.append_text(plain(f" {first}", tones["muted"]))
        else:
            soft = f" {words}" if "(soft" in words else ""  # "CRITICAL (soft 1/3)"
            line.append(f"{glyph} ", style=tones.check(state))
            line.append_text(plain(f"{check.name}{soft}: ", "bold"))
            line.append_text(plain(first))
        lines.append(line)
    return Group(*lines)


def figures_table(health: HostHealth) -> Table:
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
        grid.add_row("Answered", f"{format_duration(time.time() - health.last_answer)} ago")
    return grid


def full_outputs(health: HostHealth) -> str:
    """Every check's whole output, for the admin who pressed Enter."""
    return "\n\n".join(
        f"{c.name} ({c.current.name}):\n{c.output or '(no output)'}" for c in health.checks
    )


def device_summary(
    tones: Tones, layout: Layout, device: Device, badge: Badge, health: HostHealth | None = None
) -> RenderableType:
    """What is wrong first: the state, the host's message and the checks, failing
    ones on top; then the host's figures; then what the layout says of it."""
    parts: list[RenderableType] = [plain(f"{badge.glyph} {badge.word}", "bold")]
    live = health is not None and health.verdict.value != "unpolled"
    if health is not None and live:
        if health.message and health.message != badge.word:
            bad = health.verdict.value in ("critical", "down", "behind")
            parts.append(plain(health.message, tones["critical"] if bad else tones["warning"]))
        if health.checks:
            parts.append(checks_lines(tones, health, layout.poll.soft_fails))
        parts.append(figures_table(health))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | Text) -> None:
        if value:  # layout text is shown as text: Rich would parse "[…]" as markup
            grid.add_row(label, plain(value) if isinstance(value, str) else value)

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
    parts += [Text(""), grid]
    if not live and device.services:
        checks = Table.grid(padding=(0, 1))
        checks.add_column(no_wrap=True)
        checks.add_column(overflow="fold", style="dim")
        for check in device.services:
            checks.add_row(plain(check.name), plain(describe_check(check)))
        parts += [Text(f"\nChecks ({len(device.services)})", style="bold"), checks]
    return Group(*parts)


class OutputScreen(ModalScreen[None]):
    """Every check's whole output, scrollable; Esc closes."""

    DEFAULT_CSS = """
    OutputScreen { align: center middle; }
    OutputScreen > VerticalScroll { width: 100; max-width: 98%; height: auto; max-height: 90%;
                                    border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", id="output.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = self._title
            box.border_subtitle = "Esc closes"
            yield Static(plain(self._text))


class DevicePane(VerticalScroll, can_focus=True):
    """Scrollable details of one device; focus it with Enter from the rack, and Enter
    again shows the checks' whole output."""

    BINDINGS = [Binding("enter", "details", "Full output", id="pane.details")]

    DEFAULT_CSS = """
    DevicePane { border: round $primary-darken-2; padding: 0 1; height: 1fr; }
    DevicePane:focus { border: heavy $accent; }
    """

    def __init__(self, layout: Layout, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.site_layout = layout
        self.device: Device | None = None
        self.health: HostHealth | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="device-info")

    def show(
        self,
        device: Device,
        badge: Badge,
        health: HostHealth | None = None,
        extra: Sequence[RenderableType] = (),
        notes: Sequence[str] = (),
    ) -> None:
        """`notes` (maintenance, acknowledgements) are shown first, as plain text;
        `extra`: what the device's links add (a strip's outlets, a console server's
        ports)."""
        self.device, self.health = device, health
        self.border_title = device.name
        self.border_subtitle = device.kind.value
        tones = tones_of(self)
        summary = device_summary(tones, self.site_layout, device, badge, health)
        if notes:
            summary = Group(*(plain(line, tones["note"]) for line in notes), Text(""), summary)
        self.query_one("#device-info", Static).update(Group(summary, *extra))

    def action_details(self) -> None:
        if self.device is not None and self.health is not None and self.health.checks:
            self.app.push_screen(OutputScreen(self.device.name, full_outputs(self.health)))
