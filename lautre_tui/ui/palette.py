"""The command palette's commands (Ctrl+P): every device to jump to, and every
action on it by name ("Console eva", "Power off fey", "Maintenance fey"), each
leading to the same dialogs and confirmations as its key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.app import SystemCommand

from lautre_tui.ui.rack_screen import RackScreen


def rack_commands(screen: RackScreen) -> Iterator[SystemCommand]:
    """What the rack screen offers now (a service the site lacks offers nothing)."""
    site = screen.site
    watch = screen.maintenance

    def on(name: str, then: Callable[[], object] | None = None) -> Callable[[], None]:
        def run() -> None:
            screen.go_to(name)
            if then is not None:
                then()

        return run

    for name, device in screen.site_layout.devices.items():
        yield SystemCommand(f"Go to {name}", f"select {name} in the rack", on(name))
        if site.has_consoles and device.console is not None:
            yield SystemCommand(
                f"Console {name}",
                f"attach to {name}'s serial console",
                on(name, partial(screen.open_console, name)),
            )
        if site.has_power and device.power:
            for action, says in (("on", "switch on"), ("off", "switch off"), ("cycle", "cycle")):
                yield SystemCommand(
                    f"Power {action} {name}",
                    f"{says} {name}'s outlets (asks first)",
                    on(name, partial(screen.power, name, action)),
                )
        if watch is not None:
            yield SystemCommand(
                f"Maintenance {name}",
                f"start or end a maintenance window on {name}",
                on(name, partial(watch.open_dialog, name)),
            )
            yield SystemCommand(
                f"Acknowledge {name}",
                f"acknowledge {name}'s problem",
                on(name, partial(watch.acknowledge, name)),
            )
        if site.polls:
            yield SystemCommand(
                f"Refresh {name}",
                f"check {name} now",
                on(name, screen.action_refresh),
            )
    if site.polls:
        yield SystemCommand("Problems", "devices that are not OK", screen.action_problems)
        yield SystemCommand(
            "Refresh every device", "check every device now", screen.action_refresh_all
        )
        yield SystemCommand(
            "Events", "state changes and actions, newest first", screen.action_events
        )
    if watch is not None:
        yield SystemCommand(
            "Maintenance windows",
            "open windows and acknowledgements",
            screen.action_maintenance_list,
        )
    yield SystemCommand("Filter", "show only the devices that match", screen.action_filter)
