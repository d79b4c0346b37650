"""The rack screen: the rack's front view on the left, the selected device's pane on
the right, the header's counts, the filter and the `:` line, the consoles. What it
does to a device is in `rack_actions.py`; the services come from the site object,
this screen only shows them."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from lautre_tui.model.layout import Device
from lautre_tui.services.site import Site
from lautre_tui.ui.badges import health_badge
from lautre_tui.ui.command_line import CommandError, CommandLine, parse, run
from lautre_tui.ui.device_links import links_of
from lautre_tui.ui.device_pane import DevicePane
from lautre_tui.ui.events_pane import EventsPane, fits_beside_rack
from lautre_tui.ui.footer import LeanFooter
from lautre_tui.ui.messages import MaintenanceChanged, StatusUpdated
from lautre_tui.ui.rack_actions import RackActions
from lautre_tui.ui.rack_switcher import RackSwitcher
from lautre_tui.ui.rack_view import RackView
from lautre_tui.ui.status_bar import StatusBar
from lautre_tui.ui.tones import tones_of

if TYPE_CHECKING:
    from lautre_tui.model.health import HostHealth, StatusUpdate
    from lautre_tui.ui.lab_faults import Injector


# The first frame is written, but the terminal (tmux, sshd) has yet to draw it: the
# poller's imports (asyncssh: 130 ms of CPU) at once made it reach the screen 30 ms
# later on a 2-core bastion. The first round takes seconds anyway.
POLL_AFTER_FIRST_FRAME = 0.1


def rack_width(columns: int) -> int:
    """The rack's width for a terminal of `columns`: 24 (legend, glyph, name, a few
    letters of the role) up to 100 columns, then it grows with the terminal, to 60."""
    if columns < 100:
        return 24
    return min(60, 40 + (columns - 100) // 3)


def short_path(path: Path, width: int = 34) -> str:
    """The layout's path for the header: `~` for home, the middle elided if long."""
    text = str(path)
    home = str(Path.home())
    if text.startswith(home + "/"):
        text = "~" + text[len(home) :]
    if len(text) > width:
        text = "…" + text[-(width - 1) :]
    return text


def matches_filter(device: Device, text: str) -> bool:
    """Does `text` appear in the device's name, role or software (any case)?"""
    needle = text.casefold().strip()
    haystack = " ".join([device.name, device.role, *device.software]).casefold()
    return needle in haystack


class RackScreen(RackActions):
    """The app's first screen; consoles and dialogs are pushed over it."""

    # The ids keep their `app.` prefix: admins' keymap files name them so.
    BINDINGS = [
        # A priority binding is decided as the key arrives, before the next key is
        # handed to a widget: what is typed right after `/` goes to the filter.
        Binding("slash", "filter", "Filter", key_display="/", id="app.filter", priority=True),
        Binding(
            "colon", "command_line", "Command", key_display=":", id="app.command", priority=True
        ),
        Binding("escape", "to_rack", "Back to rack", show=False, id="app.back"),
        Binding("c", "console", "Console", id="app.console"),
        Binding("p", "power", "Power", id="app.power"),
        # The footer fits 80 columns: the keys of the 3 a.m. moments; `?` lists all.
        Binding("r", "refresh", "Refresh", show=False, id="app.refresh"),
        Binding("exclamation_mark", "problems", "Problems", key_display="!", id="app.problems"),
        Binding("e", "events", "Events", show=False, id="app.events"),
        Binding("m", "maintenance", "Maint", id="app.maintenance"),
        Binding("a", "acknowledge", "Ack", show=False, id="app.acknowledge"),
        Binding(
            "M",
            "maintenance_list",
            "Maintenance list",
            show=False,
            key_display="M",
            id="app.maintenance_list",
        ),
        Binding(
            "R", "refresh_all", "Refresh all", show=False, key_display="R", id="app.refresh_all"
        ),
        Binding("f", "lab_fault", "Fault", tooltip="inject a lab fault", id="app.lab_fault"),
        Binding(
            "left_square_bracket",
            "rack(-1)",
            "Previous rack",
            show=False,
            key_display="[",
            id="app.previous_rack",
        ),
        Binding(
            "right_square_bracket",
            "rack(1)",
            "Next rack",
            show=False,
            key_display="]",
            id="app.next_rack",
        ),
    ]

    def __init__(
        self,
        site: Site,
        *,
        layout_path: Path,
        read_only: bool,
        fault_injector: Injector | None,
    ) -> None:
        super().__init__(site, fault_injector=fault_injector)
        self.layout_path = layout_path
        self.read_only = read_only
        self._filter_said = ""
        self._title_shown = ""

    # -- building --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            self._title_shown = self._title()
            yield Static(self._title_shown, id="title", markup=False)
            if self.site.polls:
                yield StatusBar(id="status")
        with Horizontal(id="main"):
            racks = self.racks_shown  # none in a layout with no device: its errors are said
            width = rack_width(self.app.size.width)  # the first layout's
            if len(racks) == 1:
                view = RackView(self.site_layout, racks[0], id="rack")
                view.styles.width = width
                yield view
            elif racks:
                with Vertical(id="racks") as column:
                    column.styles.width = width
                    switcher = RackSwitcher(id="rack-switcher")
                    switcher.show(racks[0].name, 0, len(racks))
                    yield switcher
                    yield RackView(self.site_layout, racks[0], id="rack")
            with Vertical(id="side"):
                yield DevicePane(self.site_layout, id="pane")
        yield Input(
            placeholder="filter by name, role or software — Enter keeps, Esc clears", id="filter"
        )
        yield CommandLine(list(self.site_layout.devices), id="command")
        yield LeanFooter(show_command_palette=False)  # Ctrl+P still opens it; ? says so

    async def on_resize(self, event: events.Resize) -> None:
        """The rack's text column follows the terminal: names only at 80 columns, so
        that a failing check's output reads on one line in the pane; roles as well
        when there is room."""
        width = rack_width(event.size.width)
        for column in self.query("#racks") or self.query(RackView):
            column.styles.width = width
        await self._fit_events_pane(event.size.width, event.size.height)
        with contextlib.suppress(NoMatches):  # the layout's path gets the room there is
            self.refresh_title()

    async def _fit_events_pane(self, columns: int, lines: int) -> None:
        """The event history under the device's pane when the terminal has room for it,
        built the first time it has: at 80x24, it never is."""
        panes = list(self.query(EventsPane))
        side = self.query("#side")  # none while the screen is taken down
        if not panes and side and fits_beside_rack(columns, lines):
            pane = EventsPane(
                self.site.history,
                lambda: self.site.history_trouble,
                hint="e: all · Enter: go to the device",
                id="events-pane",
            )
            pane.display = False
            await side.first().mount(pane)
            panes.append(pane)
        for pane in panes:
            pane.fit(columns, lines)

    def on_mount(self) -> None:
        first = self.current_rack()
        if first is not None:
            if self.focused is None:  # `:` or `/` typed before this ran keeps its line
                self.set_focus(first)
            if first.selected is not None:
                self._show(first.selected)
        if self.site.polls:
            self.call_after_refresh(self.set_timer, POLL_AFTER_FIRST_FRAME, self._start_polling)
        self.watch(self.app, "theme", self._redraw, init=False)

    def _redraw(self) -> None:
        """In the new theme's tones (the rack's rows follow its CSS by themselves)."""
        self._show_counts()
        if self.selected_device is not None:
            self._show(self.selected_device.name)

    def _start_polling(self) -> None:
        """After the first paint: importing asyncssh must not delay the rack."""

        def forward(update: StatusUpdate, key_changes: list[HostHealth]) -> None:
            self.post_message(StatusUpdated(update, key_changes))

        self.site.start_polling(forward)
        self.query_one(StatusBar).show(self.site.health.values(), None)

    # -- what the services say -------------------------------------------------

    def on_status_updated(self, message: StatusUpdated) -> None:
        for health in message.key_changes:
            self.notify(
                health.message,
                title=f"{health.device}: HOST KEY CHANGED",
                severity="error",
                timeout=60,
            )
        badges = {health.device: health_badge(health) for health in message.update.hosts}
        view = self.current_rack()
        if view is not None:
            view.set_badges(badges)
        if message.update.round is not None and self.maintenance is not None:
            self.maintenance.after_round(self.site.health)
        self._show_counts()
        selected = self.selected_device
        if selected is not None and selected.name in badges:
            self._show(selected.name)

    def on_maintenance_changed(self, _message: MaintenanceChanged) -> None:
        marks = self.maintenance.marks() if self.maintenance else {}
        view = self.current_rack()
        if view is not None:
            view.set_marks(marks)
        self._show_counts()
        if self.selected_device is not None:
            self._show(self.selected_device.name)

    def _show_counts(self) -> None:
        poller = self.site.poller
        if poller is not None:
            watch = self.maintenance
            health = self.site.health
            self.query_one(StatusBar).show(
                health.values(),
                poller.last_round,
                poller.trouble,
                watch.handled(health) if watch else None,
                watch.ending_soon() if watch else "",
            )

    # -- the pane, the rack and the filter -------------------------------------

    def _show(self, name: str) -> None:
        device = self.site_layout.devices[name]
        rack = self.current_rack()
        if rack is None:
            return
        health = self.site.health.get(name)
        notes = self.maintenance.notes(name, health) if self.maintenance else []
        self.query_one(DevicePane).show(
            device, rack.badge(name), health, links_of(tones_of(self), self.site, device), notes
        )

    def on_rack_view_selected(self, message: RackView.Selected) -> None:
        rack = self.current_rack()
        if rack is not None and message.rack == rack.rack.name:
            self._show(message.device)

    def on_events_pane_chosen(self, message: EventsPane.Chosen) -> None:
        if message.device in self.site_layout.devices:
            self.go_to(message.device)

    def on_rack_view_activated(self, _message: RackView.Activated) -> None:
        self.query_one(DevicePane).focus()

    def on_rack_switcher_step(self, message: RackSwitcher.Step) -> None:
        self.action_rack(message.step)

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id == "filter":
            self._apply_filter(message.value)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if isinstance(message.input, CommandLine):
            self._run_command(message.input)
        elif message.input.id == "filter":
            message.input.display = False
            rack = self.current_rack()
            if rack is not None:
                rack.focus()

    def _title(self, filtered: str = "") -> str:
        """Site, layout, read-only mode, the filter, and the consoles left open."""
        mode = "  [read-only]" if self.read_only else ""
        manager = self.site.consoles
        open_ = ", ".join(sorted(manager.sessions)) if manager is not None else ""
        consoles = f"  consoles: {open_}" if open_ else ""
        room = max(34, self.app.size.width - 70)  # the counts take about 40 columns of the bar
        path = short_path(self.layout_path, room)
        return f"{self.site_layout.site} — {path}{mode}{filtered}{consoles}"

    def on_screen_resume(self) -> None:
        self.refresh_title()

    def refresh_title(self) -> None:
        """Back from a console, or one closed: the header says which are open."""
        text = self._title(self._filter_said)
        if text != self._title_shown:  # the same words need no new layout
            self._title_shown = text
            self.query_one("#title", Static).update(text)

    def _apply_filter(self, text: str) -> None:
        devices = self.site_layout.devices
        matches = (
            {d.name for d in devices.values() if matches_filter(d, text)} if text.strip() else None
        )
        view = self.current_rack()
        if view is not None:
            view.set_filter(matches)
        said = (  # in words, readable without colour
            f"  filter: {text.strip()} ({len(matches)}/{len(devices)})"
            if matches is not None
            else ""
        )
        self._filter_said = said
        self.refresh_title()
        rack = self.current_rack()
        if matches and rack is not None and rack.selected not in matches:
            self.go_to(next(name for name in devices if name in matches))
        rack = self.current_rack()
        if rack is not None and rack.selected is not None:
            self._show(rack.selected)

    # -- actions ---------------------------------------------------------------

    def action_console(self) -> None:
        device = self.selected_device
        if device is not None:
            self.open_console(device.name)

    def open_console(self, host: str) -> None:
        """Attach to (or return to) `host`'s console, full screen."""
        from lautre_tui.ui.console_opener import attach_console

        self.run_worker(
            attach_console(self, self.site, host, self.refresh_title), group="console-open"
        )

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        self.set_focus(field)  # at once: `focus()` would wait for a refresh

    def filter(self, text: str) -> None:
        """Show only the devices matching `text` (all, if empty), as `/` does."""
        field = self.query_one("#filter", Input)
        field.value = text
        field.display = bool(text)
        self._apply_filter(text)

    def action_command_line(self) -> None:
        line = self.query_one(CommandLine)
        line.display = True
        self.set_focus(line)

    def _run_command(self, line: CommandLine) -> None:
        text = line.value.strip()
        line.value = ""
        line.display = False
        self._focus_rack()
        if not text:
            return
        line.remember(text)
        try:
            command = parse(text, list(self.site_layout.devices))
        except CommandError as error:
            self.notify(str(error), title=f":{text}", severity="error", timeout=8)
            return
        run(self, command)

    def _focus_rack(self) -> None:
        rack = self.current_rack()
        if rack is not None:
            rack.focus()

    def action_to_rack(self) -> None:
        line = self.query_one(CommandLine)
        line.value, line.display = "", False
        field = self.query_one("#filter", Input)
        field.display = False
        if field.value:
            field.value = ""
            self._apply_filter("")
        self._focus_rack()

    def action_rack(self, step: int) -> None:
        racks, view = self.racks_shown, self.current_rack()
        if len(racks) > 1 and view is not None:
            current = next(i for i, rack in enumerate(racks) if rack.name == view.rack.name)
            self.show_rack((current + step) % len(racks))
