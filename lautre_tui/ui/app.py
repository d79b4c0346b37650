"""The full-screen app: the rack's front view on the left, the selected device's pane
on the right. Services (status, consoles, power) are handed in; the app never
opens a socket itself."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, TabPane

from lautre_tui.model.errors import LayoutError
from lautre_tui.model.health import HostHealth, Reachability, StatusUpdate
from lautre_tui.model.layout import Device, Layout
from lautre_tui.ui.badges import health_badge
from lautre_tui.ui.device_pane import DevicePane
from lautre_tui.ui.footer import LeanFooter
from lautre_tui.ui.help_screen import HelpScreen
from lautre_tui.ui.keymap import binding_ids, load_keymap
from lautre_tui.ui.lab_faults import Injector, LabFaultScreen
from lautre_tui.ui.maintenance_watch import MaintenanceFactory, MaintenanceWatch
from lautre_tui.ui.plain import SafeApp, plain
from lautre_tui.ui.rack_view import RackView
from lautre_tui.ui.status_bar import StatusBar

if TYPE_CHECKING:
    from lautre_tui.services.console import ConsoleManager
    from lautre_tui.services.poller import Poller
    from lautre_tui.services.power import PowerService

ConsoleFactory = Callable[[], "ConsoleManager"]
PollerFactory = Callable[[], "Poller"]
PowerFactory = Callable[[], "PowerService"]


class StatusUpdated(Message):
    """The poller saw hosts change (posted from its callback, in the app's loop)."""

    def __init__(self, update: StatusUpdate) -> None:
        self.update = update
        super().__init__()


LEGEND = (
    "States: ● ok  ▲ warning  ✖ critical  ▼ down  ▽ behind a dead switch\n"
    "        △ ✕ failing, not yet hard (soft)  … stale  ⏻ powered off\n"
    "        ○ not yet polled  · unmonitored  ◌ standby (off, as expected)\n"
    "        ◇ staging (never alerts)\n"
    "Header: counts of ● ok, ✕ soft, ▲ warning, ✖ critical, ▼ down or off, … stale;\n"
    "        ⚒ hosts whose problems are handled (maintenance ⚒, acknowledged ✓).\n"
    "Console: Ctrl-] opens its menu. Power panel: o on, x off, y cycle."
)


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


class RackApp(SafeApp[int]):
    """Browse a rack; `layout` is loaded once, before the app starts."""

    TITLE = "lautre-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", key_display="?", id="app.help"),
        # A priority binding is decided as the key arrives, before the next key is
        # handed to a widget: what is typed right after `/` goes to the filter.
        Binding("slash", "filter", "Filter", key_display="/", id="app.filter", priority=True),
        Binding("escape", "to_rack", "Back to rack", show=False, id="app.back"),
        Binding("c", "console", "Console", id="app.console"),
        Binding("p", "power", "Power", id="app.power"),
        # The footer fits 80 columns: the keys of the 3 a.m. moments; `?` lists all.
        Binding("r", "refresh", "Refresh", show=False, id="app.refresh"),
        Binding("exclamation_mark", "problems", "Problems", key_display="!", id="app.problems"),
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
        layout: Layout,
        *,
        layout_path: Path | str,
        errors: Sequence[LayoutError] = (),
        read_only: bool = False,
        fault_injector: Injector | None = None,
        poller_factory: PollerFactory | None = None,
        power_factory: PowerFactory | None = None,
        console_factory: ConsoleFactory | None = None,
        maintenance_factory: MaintenanceFactory | None = None,
    ) -> None:
        super().__init__()
        self.maintenance = (
            MaintenanceWatch(self, maintenance_factory) if maintenance_factory else None
        )
        self._console_factory = console_factory
        self.consoles: ConsoleManager | None = None
        self._power_factory = power_factory
        self.power: PowerService | None = None
        self.fault_injector = fault_injector
        self._poller_factory = poller_factory
        self.poller: Poller | None = None
        self.health: dict[str, HostHealth] = {}
        self.site_layout = layout
        self.layout_path = Path(layout_path)
        self.layout_errors = list(errors)
        self.read_only = read_only

    # -- building --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(self._title(), id="title", markup=False)
            if self._poller_factory is not None:
                yield StatusBar(id="status")
        with Horizontal(id="main"):
            racks = [
                rack for rack in self.site_layout.racks if self.site_layout.devices_in(rack.name)
            ]
            if len(racks) == 1:
                yield RackView(self.site_layout, racks[0], id="rack-0")
            else:
                with TabbedContent(id="racks"):
                    for index, rack in enumerate(racks):
                        with TabPane(Content(rack.name), id=f"tab-{index}"):
                            yield RackView(self.site_layout, rack, id=f"rack-{index}")
            yield DevicePane(self.site_layout, id="pane")
        yield Input(
            placeholder="filter by name, role or software — Enter keeps, Esc clears", id="filter"
        )
        yield LeanFooter(show_command_palette=False)  # Ctrl+P still opens it; ? says so

    def on_resize(self, event: events.Resize) -> None:
        """The rack's text column follows the terminal: names only at 80 columns, so
        that a failing check's output reads on one line in the pane; roles as well
        when there is room."""
        width = rack_width(event.size.width)
        for view in self.rack_views():
            view.styles.width = width if len(self.rack_views()) == 1 else "1fr"
        with contextlib.suppress(NoMatches):
            self.query_one("#racks", TabbedContent).styles.width = width + 2

    def on_mount(self) -> None:
        keymap, problems = load_keymap(known=binding_ids(self))
        if keymap:
            self.set_keymap(keymap)
        for problem in problems:
            self.notify(problem, title="keymap", severity="warning", timeout=10)
        if self.layout_errors:
            shown = "\n".join(str(error) for error in self.layout_errors[:5])
            more = len(self.layout_errors) - 5
            if more > 0:
                shown += f"\n… and {more} more (lautre-tui validate)"
            self.notify(
                shown,
                title=f"{len(self.layout_errors)} layout errors",
                severity="error",
                timeout=30,
            )
        first = self.rack_views()[0] if self.rack_views() else None
        if first is not None:
            first.focus()
            if first.selected is not None:
                self._show(first.selected)
        if self._poller_factory is not None:
            self.call_after_refresh(self._start_polling)
        if self.maintenance is not None:
            self.call_after_refresh(self.maintenance.start)

    def _start_polling(self) -> None:
        """After the first paint: importing asyncssh must not delay the rack."""
        assert self._poller_factory is not None
        self.poller = self._poller_factory()

        def forward(update: StatusUpdate) -> None:
            self.post_message(StatusUpdated(update))

        self.poller.subscribe(forward)
        self.query_one(StatusBar).show(self.health.values(), None)
        self.poller.start()

    async def on_unmount(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
        if self.power is not None:
            await self.power.close()
        if self.consoles is not None:
            await self.consoles.close_all()

    def power_service(self) -> PowerService | None:
        """Created on first use; outlet read-backs feed the poller ("powered off")."""
        if self.power is None and self._power_factory is not None:
            self.power = self._power_factory()
            self.power.on_outlets(self._outlets_read)
            self.power.on_event(self._power_event)
        return self.power

    def _power_event(self, device: str, text: str) -> None:
        """Power actions go into the device's console transcript, if it is open, and
        the strips that did them are read again at once (their load changed)."""
        if self.consoles is not None:
            self.consoles.event(device, text)
        if self.poller is not None:
            for link in self.site_layout.devices[device].power:
                card = self.site_layout.pdus[link.pdu].device
                if card is not None:
                    self.poller.poll_now(card)

    def console_manager(self) -> ConsoleManager | None:
        if self.consoles is None and self._console_factory is not None:
            self.consoles = self._console_factory()
        return self.consoles

    def action_console(self) -> None:
        device = self.selected_device
        if device is not None:
            self.open_console(device.name)

    @work(group="console-open")
    async def open_console(self, host: str, *, read_only: bool = False) -> None:
        """Attach to (or return to) `host`'s console, full screen."""
        from lautre_tui.services.console import (
            ConsoleHeld,
            ConsoleLinkError,
            backlog,
            target_for,
        )
        from lautre_tui.ui.console_dialogs import HeldScreen
        from lautre_tui.ui.console_screen import ConsoleScreen

        manager = self.console_manager()
        if manager is None:
            return
        returning = host in manager.sessions
        try:
            target = target_for(self.site_layout, host)
            self.notify(f"opening the console of {host}…", timeout=2)
            try:
                session = await manager.open(target, read_only=read_only)
            except ConsoleHeld as held:  # say who; watch it, take it over or cancel
                choice = await self.push_screen_wait(HeldScreen(str(held)))
                if choice == "cancel":
                    return
                session = await manager.open(
                    target, read_only=choice == "watch", force=choice == "force"
                )
        except ConsoleLinkError as error:
            self.notify(str(error), title=f"console {host}", severity="error", timeout=15)
            return
        self.push_screen(
            ConsoleScreen(
                session, on_leave=self._console_left, backlog=backlog(host) if returning else b""
            )
        )

    def _console_left(self, host: str, closed: bool) -> None:
        self.pop_screen()
        if closed and self.consoles is not None:
            self.run_worker(self.consoles.close(host), group="console-close")

    def _outlets_read(self, pdu: str, states: dict[int, bool]) -> None:
        if self.poller is not None:
            self.poller.set_outlets(pdu, states)

    def action_power(self) -> None:
        device = self.selected_device
        service = self.power_service()
        if device is None or service is None:
            return
        from lautre_tui.ui.power_screen import PowerScreen  # with asyncssh: not before paint

        live = {name: health.verdict.value for name, health in self.health.items()}
        notes = self.maintenance.power_notes if self.maintenance else None
        self.push_screen(PowerScreen(device, service, live=live, notes=notes))

    def on_status_updated(self, message: StatusUpdated) -> None:
        update = message.update
        for health in update.hosts:
            before = self.health.get(health.device)
            self.health[health.device] = health
            changed_key = health.reachability is Reachability.KEY_CHANGED
            if changed_key and (before is None or before.reachability is not health.reachability):
                self.notify(
                    health.message,
                    title=f"{health.device}: HOST KEY CHANGED",
                    severity="error",
                    timeout=60,
                )
        badges = {health.device: health_badge(health) for health in update.hosts}
        for view in self.rack_views():
            view.set_badges(badges)
        if update.round is not None and self.maintenance is not None:
            self.maintenance.after_round(self.health)
        self._show_counts()
        selected = self.selected_device
        if selected is not None and selected.name in badges:
            self._show(selected.name)

    def _show_counts(self) -> None:
        if self.poller is not None:
            watch = self.maintenance
            self.query_one(StatusBar).show(
                self.health.values(),
                self.poller.last_round,
                self.poller.trouble,
                watch.handled(self.health) if watch else None,
                watch.ending_soon() if watch else "",
            )

    def maintenance_changed(self) -> None:
        """The shared windows or acknowledgements changed (here or in another app)."""
        marks = self.maintenance.marks() if self.maintenance else {}
        for view in self.rack_views():
            view.set_marks(marks)
        self._show_counts()
        if self.selected_device is not None:
            self._show(self.selected_device.name)

    def action_maintenance(self) -> None:
        if self.maintenance is not None and self.selected_device is not None:
            self.maintenance.open_dialog(self.selected_device.name)

    def action_maintenance_list(self) -> None:
        if self.maintenance is not None:
            self.maintenance.show_list()

    def action_acknowledge(self) -> None:
        if self.maintenance is not None and self.selected_device is not None:
            self.maintenance.acknowledge(self.selected_device.name)

    # -- queries ---------------------------------------------------------------

    def rack_views(self) -> list[RackView]:
        return list(self.query(RackView))

    def current_rack(self) -> RackView | None:
        """The rack on screen (the active tab when there are several)."""
        views = self.rack_views()
        if len(views) <= 1:
            return views[0] if views else None
        active = self.query_one("#racks", TabbedContent).active
        pane = self.query_one(f"#{active}", TabPane) if active else None
        return pane.query_one(RackView) if pane is not None else views[0]

    @property
    def selected_device(self) -> Device | None:
        rack = self.current_rack()
        if rack is None or rack.selected is None:
            return None
        return self.site_layout.devices[rack.selected]

    # -- events ----------------------------------------------------------------

    def _show(self, name: str) -> None:
        rack = next(
            view
            for view in self.rack_views()
            if view.rack.name == self.site_layout.devices[name].rack
        )
        device = self.site_layout.devices[name]
        health = self.health.get(name)
        notes = self.maintenance.notes(name, health) if self.maintenance else []
        self.query_one(DevicePane).show(
            device, rack.badge(name), health, self._links_of(device), notes
        )

    def _links_of(self, device: Device) -> list[RenderableType]:
        """Who is on its console, a strip's outlets as last read, a console server's
        ports as held here."""
        from lautre_tui.ui.device_links import console_server_section, strip_section

        extra: list[RenderableType] = []  # (the services are imported only when needed)
        if device.console is not None:
            from lautre_tui.services.console import describe, holder

            other = holder(device.name)
            on_it = describe(device.name, other) if other is not None else "nobody on it"
            extra.append(plain(f"\nConsole: {on_it}", style="" if other else "dim"))
        for pdu in self.site_layout.pdus.values():
            if pdu.device == device.name:
                power = self.power_service()
                outlets = power.last_outlets.get(pdu.name, {}) if power else {}
                extra += strip_section(self.site_layout, pdu.name, outlets)
        for server in self.site_layout.consoles.values():
            if server.device == device.name:
                from lautre_tui.services.console import holder

                holders = {
                    d.name: holder(d.name)
                    for d in self.site_layout.devices.values()
                    if d.console is not None and d.console.server == server.name
                }
                extra += console_server_section(self.site_layout, server.name, holders)
        return extra

    def on_rack_view_selected(self, message: RackView.Selected) -> None:
        rack = self.current_rack()
        if rack is not None and message.rack == rack.rack.name:
            self._show(message.device)

    def on_rack_view_activated(self, message: RackView.Activated) -> None:
        self.query_one(DevicePane).focus()

    def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        rack = self.current_rack()
        if rack is not None:
            rack.focus()
            if rack.selected is not None:
                self._show(rack.selected)

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id == "filter":
            self._apply_filter(message.value)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "filter":
            message.input.display = False
            rack = self.current_rack()
            if rack is not None:
                rack.focus()

    def _title(self, filtered: str = "") -> str:
        mode = "  [read-only]" if self.read_only else ""
        return f"{self.site_layout.site} — {short_path(self.layout_path)}{mode}{filtered}"

    def _apply_filter(self, text: str) -> None:
        matches = (
            {d.name for d in self.site_layout.devices.values() if matches_filter(d, text)}
            if text.strip()
            else None
        )
        for view in self.rack_views():
            view.set_filter(matches)
        said = (  # in words, readable without colour
            f"  filter: {text.strip()} ({len(matches)}/{len(self.site_layout.devices)})"
            if matches is not None
            else ""
        )
        self.query_one("#title", Static).update(self._title(said))
        rack = self.current_rack()
        if matches and rack is not None and rack.selected not in matches:
            self._go_to_rack_of(next(name for name in self.site_layout.devices if name in matches))
        rack = self.current_rack()
        if rack is not None and rack.selected is not None:
            self._show(rack.selected)

    def _go_to_rack_of(self, name: str) -> None:
        for index, view in enumerate(self.rack_views()):
            if view.rack.name == self.site_layout.devices[name].rack:
                if len(self.rack_views()) > 1:
                    self.query_one("#racks", TabbedContent).active = f"tab-{index}"
                view.select(name)

    # -- actions ---------------------------------------------------------------

    def action_problems(self) -> None:
        from lautre_tui.ui.problems_screen import ProblemsScreen

        def go(name: str | None) -> None:
            if name is not None:
                self._go_to_rack_of(name)

        self.push_screen(ProblemsScreen(self.health.values(), self.size.width), go)

    def action_help(self) -> None:
        sections: list[tuple[str, Binding]] = []
        for source, bindings in (
            ("app", self.BINDINGS),
            ("rack", RackView.BINDINGS),
        ):
            sections += [(source, self._as_bound(b)) for b in bindings if isinstance(b, Binding)]
        sections.append(
            ("app", Binding("tab", "focus_next", "Switch between rack and pane", key_display="Tab"))
        )
        sections.append(
            ("rack", Binding("enter", "activate", "Open the device's pane", key_display="Enter"))
        )
        sections.append(
            ("app", Binding("ctrl+p", "command_palette", "Command palette", key_display="Ctrl+P"))
        )
        self.push_screen(HelpScreen(sections, legend=LEGEND))

    def _as_bound(self, binding: Binding) -> Binding:
        """The binding with the keys the admin's keymap gives it (the help never lies)."""
        keys = self._keymap.get(binding.id or "")
        return replace(binding, key=keys, key_display=None) if keys else binding

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lab faults exist only in the demo, refresh only with a poller: hide the keys."""
        if action == "lab_fault":
            return self.fault_injector is not None
        if action in ("refresh", "refresh_all", "problems"):
            return self._poller_factory is not None
        if action == "power":
            return self._power_factory is not None
        if action == "console":
            return self._console_factory is not None
        if action in ("maintenance", "acknowledge", "maintenance_list"):
            return self.maintenance is not None
        if action == "filter":  # a `/` typed in a console, a dialog or the field is text
            return self.screen is self.screen_stack[0] and not isinstance(self.focused, Input)
        return True

    def action_refresh(self) -> None:
        device = self.selected_device
        if self.poller is not None and device is not None:
            if device.name in self.poller.devices:
                self.poller.poll_now(device.name)
                self.notify(f"polling {device.name} now", timeout=2)
            else:
                self.notify(f"{device.name} is not polled over SSH", timeout=3)

    def action_refresh_all(self) -> None:
        if self.poller is not None:
            self.poller.poll_now()
            self.notify("polling every host now", timeout=2)

    def action_lab_fault(self) -> None:
        device = self.selected_device
        if self.fault_injector is not None and device is not None:
            self.push_screen(LabFaultScreen(self.site_layout, device, self.fault_injector))

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        self.screen.set_focus(field)  # at once: `focus()` would wait for a refresh

    def action_to_rack(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = False
        if field.value:
            field.value = ""
            self._apply_filter("")
        rack = self.current_rack()
        if rack is not None:
            rack.focus()

    def action_rack(self, step: int) -> None:
        views = self.rack_views()
        if len(views) <= 1:
            return
        tabs = self.query_one("#racks", TabbedContent)
        current = int((tabs.active or "tab-0").split("-")[1])
        tabs.active = f"tab-{(current + step) % len(views)}"
