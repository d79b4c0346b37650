"""What the rack screen knows of the rack and does to the selected device: the
services it was given, where the selection is, and the keys that act on a device
(power, maintenance, acknowledgement, refresh) or show the rack's
problems and events. The screen itself (`rack_screen.py`) draws the rack, the pane,
the header and the lines typed at the bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import Input

from lautre_tui.model.layout import Device
from lautre_tui.services.site import Site
from lautre_tui.ui.rack_switcher import RackSwitcher
from lautre_tui.ui.rack_view import RackView

if TYPE_CHECKING:
    from lautre_tui.ui.lab_faults import Injector
    from lautre_tui.ui.maintenance_watch import MaintenanceWatch


class RackActions(Screen[None]):
    def __init__(
        self,
        site: Site,
        *,
        fault_injector: Injector | None,
    ) -> None:
        super().__init__()
        self.site = site
        self.site_layout = site.layout
        # Given by the app right after the first paint (SQLite, the dialogs).
        self.maintenance: MaintenanceWatch | None = None
        self.fault_injector = fault_injector
        self._view: RackView | None = None
        self.racks_shown = [rack for rack in site.layout.racks if site.layout.devices_in(rack.name)]

    # -- queries ---------------------------------------------------------------

    def current_rack(self) -> RackView | None:
        """The rack's view, whichever rack it shows; kept once mounted (it is never
        removed): every status update asks, ten times a second under Icinga's stream."""
        if self._view is None:
            self._view = next(iter(self.query(RackView)), None)
        return self._view

    @property
    def selected_device(self) -> Device | None:
        rack = self.current_rack()
        if rack is None or rack.selected is None:
            return None
        return self.site_layout.devices[rack.selected]

    def go_to(self, name: str) -> None:
        """Select `name`, its rack shown first."""
        view = self.current_rack()
        rack = self.site_layout.devices[name].rack
        if view is None:
            return
        if view.rack.name != rack:
            self.show_rack(next(i for i, r in enumerate(self.racks_shown) if r.name == rack))
        view.select(name)

    def show_rack(self, index: int) -> None:
        """Show the rack `index` of `racks_shown`, and say which above it."""
        view, rack = self.current_rack(), self.racks_shown[index]
        if view is not None:
            view.show_rack(rack)
        for switcher in self.query(RackSwitcher):
            switcher.show(rack.name, index, len(self.racks_shown))

    # -- the keys -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys for services the site does not have are hidden, not dead."""
        if action == "lab_fault":
            return self.fault_injector is not None
        if action in ("refresh", "refresh_all", "problems", "events"):
            return self.site.polls
        if action == "power":
            return self.site.has_power
        if action == "console":
            return self.site.has_consoles
        if action in ("maintenance", "acknowledge", "maintenance_list"):
            return self.site.has_maintenance
        if action in ("filter", "command_line"):  # a `/` or `:` typed in a field is text
            return not isinstance(self.focused, Input)
        return True

    def action_power(self) -> None:
        if self.selected_device is not None:
            self.power(self.selected_device.name)

    def power(self, name: str, action: str | None = None) -> None:
        """The power panel of `name`; with `action` (on, off, cycle), its confirmation
        at once, the same as the panel's key would ask."""
        service = self.site.power_service()
        if service is None:
            return
        if action is not None and not self.site_layout.devices[name].power:
            self.notify(f"{name} is fed by no outlet of the layout", timeout=5)
            action = None  # the panel says so too, and offers nothing to switch
        from lautre_tui.ui.power_screen import PowerScreen  # with asyncssh: not before paint

        live = {name: health.verdict.value for name, health in self.site.health.items()}
        notes = self.maintenance.power_notes if self.maintenance else None
        panel = PowerScreen(self.site_layout.devices[name], service, live=live, notes=notes)
        self.app.push_screen(panel)
        if action is not None:
            panel.call_after_refresh(panel.action_act, action)

    def action_maintenance(self) -> None:
        if self.maintenance is not None and self.selected_device is not None:
            self.maintenance.open_dialog(self.selected_device.name)

    def action_maintenance_list(self) -> None:
        if self.maintenance is not None:
            self.maintenance.show_list()

    def action_acknowledge(self) -> None:
        if self.maintenance is not None and self.selected_device is not None:
            self.maintenance.acknowledge(self.selected_device.name)

    def action_problems(self) -> None:
        from lautre_tui.ui.problems_screen import ProblemsScreen

        def go(name: str | None) -> None:
            if name is not None:
                self.go_to(name)

        self.app.push_screen(ProblemsScreen(self.site.health.values(), self.size.width), go)

    def action_events(self) -> None:
        from lautre_tui.ui.events_screen import EventsScreen  # with SQLite: not before paint

        def go(name: str | None) -> None:
            if name is not None and name in self.site_layout.devices:
                self.go_to(name)

        screen = EventsScreen(self.site.history, lambda: self.site.history_trouble)
        self.app.push_screen(screen, go)

    def action_refresh(self) -> None:
        device = self.selected_device
        if device is not None:
            self.notify(self.site.refresh(device.name), timeout=2)

    def action_refresh_all(self) -> None:
        self.notify(self.site.refresh(), timeout=2)

    def action_lab_fault(self) -> None:
        device = self.selected_device
        if self.fault_injector is not None and device is not None:
            from lautre_tui.ui.lab_faults import LabFaultScreen

            self.app.push_screen(LabFaultScreen(self.site_layout, device, self.fault_injector))
