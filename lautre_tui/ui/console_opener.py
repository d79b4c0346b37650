"""Opening a console from the rack: attach (or return) to a host's console, say who
holds it and offer to watch, take over or cancel, then show it full screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from lautre_tui.services.site import Site


async def attach_console(
    screen: Screen[None], site: Site, host: str, on_closed: Callable[[], None]
) -> None:
    """Run as a worker of `screen` (the held-by dialog waits for the admin's answer);
    the console's own imports come with the first console, not before the rack.
    `on_closed` is told once a console the admin detached from is closed."""
    from lautre_tui.services.console import ConsoleHeld, ConsoleLinkError, backlog, target_for
    from lautre_tui.ui.console_dialogs import HeldScreen
    from lautre_tui.ui.console_screen import ConsoleScreen

    manager = site.console_manager()
    if manager is None:
        return
    returning = host in manager.sessions
    try:
        target = target_for(site.layout, host)
        screen.notify(f"opening the console of {host}…", timeout=2)
        try:
            session = await manager.open(target)
        except ConsoleHeld as held:  # say who; watch it, take it over or cancel
            choice = await screen.app.push_screen_wait(HeldScreen(str(held)))
            if choice == "cancel":
                return
            session = await manager.open(
                target, read_only=choice == "watch", force=choice == "force"
            )
    except ConsoleLinkError as error:
        screen.notify(str(error), title=f"console {host}", severity="error", timeout=15)
        return

    async def close(host: str) -> None:
        await manager.close(host)
        if screen.is_attached:
            on_closed()

    def left(host: str, closed: bool) -> None:
        screen.app.pop_screen()
        if closed:
            screen.run_worker(close(host), group="console-close")

    screen.app.push_screen(
        ConsoleScreen(session, on_leave=left, backlog=backlog(host) if returning else b"")
    )
