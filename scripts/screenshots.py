"""Save SVG screenshots of the demo into screenshots/ for the README.

The lab runs in-process (as `lautre-tui demo` runs it), the app is built by the
CLI's own factory, and Pilot drives it as an admin would. Run from the
repository: `.venv/bin/python scripts/screenshots.py [NAME...]` (all shots, or
those named, e.g. `console-who-100x30`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.loader import load_layout
from lautre_tui.ui.app import RackApp

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "screenshots"
Scene = Callable[[RackApp, Pilot[int]], Awaitable[None]]


async def settle(condition: Callable[[], bool], timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the demo never reached the state to shoot")


async def rounds(app: RackApp, count: int) -> None:
    """Let the poller run `count` rounds (the first on its own, then on demand)."""
    await settle(lambda: app.site.poller is not None and app.site.poller.last_round is not None)
    for _ in range(count - 1):
        assert app.site.poller is not None
        before = app.site.poller.last_round
        app.site.poller.poll_now()

        def next_round(previous: object = before) -> bool:
            return app.site.poller is not None and app.site.poller.last_round is not previous

        await settle(next_round)


async def select(app: RackApp, pilot: Pilot[int], device: str) -> None:
    rack = app.rack_screen.current_rack()
    assert rack is not None
    rack.select(device)
    await pilot.pause()


async def rack(app: RackApp, pilot: Pilot[int]) -> None:
    await select(app, pilot, "emma")


async def fey_pane(app: RackApp, pilot: Pilot[int]) -> None:
    from lautre_tui.ui.events_pane import EventsPane

    await select(app, pilot, "fey")
    events = app.rack_screen.query_one(EventsPane)  # beside the rack: ella's failure in it
    await settle(lambda: events.has_read and not events.get_option_at_index(0).disabled)
    await pilot.pause()


async def power_dialog(app: RackApp, pilot: Pilot[int]) -> None:
    await select(app, pilot, "fey")
    await pilot.press("p")
    await pilot.pause(1.0)
    await pilot.press("x")
    await pilot.pause(0.3)


async def console(app: RackApp, pilot: Pilot[int], host: str = "eva") -> None:
    from lautre_tui.ui.console_screen import ConsoleScreen

    await select(app, pilot, host)
    await pilot.press("c")
    await settle(lambda: isinstance(app.screen, ConsoleScreen))
    await pilot.press("enter", *"root", "enter", *"pw", "enter", *"uptime", "enter")
    await pilot.pause(1.0)


async def console_who(app: RackApp, pilot: Pilot[int]) -> None:
    """eva's console with two spies on it: the escape menu's `u`."""
    from lautre_tui.services.audit import Actor
    from lautre_tui.services.console import ConsoleSession, target_for
    from lautre_tui.ui.console_screen import ConsoleScreen

    await console(app, pilot)
    for user, address in (("nadia", "192.0.2.14"), ("bruno", "192.0.2.27")):
        spy = ConsoleSession(
            target_for(app.site.layout, "eva"), read_only=True, actor=Actor(user, address)
        )
        await spy.attach()
        SPIES.append(spy)
    await pilot.press("ctrl+right_square_bracket", "u")
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    await settle(lambda: "bruno (spy)" in str(screen.query_one("#console-menu").render()))
    await pilot.pause(0.3)


async def console_spy(app: RackApp, pilot: Pilot[int]) -> None:
    """nadia holds eva's console; this admin watches it and reads her message."""
    from lautre_tui.services.audit import Actor
    from lautre_tui.services.console import ConsoleSession, target_for
    from lautre_tui.ui.console_dialogs import HeldScreen
    from lautre_tui.ui.console_screen import ConsoleScreen

    writer = ConsoleSession(target_for(app.site.layout, "eva"), actor=Actor("nadia", "192.0.2.14"))
    await writer.attach()
    SPIES.append(writer)
    writer.send(b"\rroot\rpw\ruptime\r")
    await select(app, pilot, "eva")
    await pilot.press("c")
    await settle(lambda: isinstance(app.screen, HeldScreen))
    await pilot.press("w")
    await settle(lambda: isinstance(app.screen, ConsoleScreen))
    writer.send(b"dmesg | tail -3\r")
    writer.tell_everyone("upgrading eva's kernel, please only watch")
    await pilot.pause(1.0)


async def console_search(app: RackApp, pilot: Pilot[int]) -> None:
    """Scroll mode after `?` searched the scrollback for a regex (elsa's console: eva's
    has just been the spies' scene)."""
    await console(app, pilot, "elsa")
    await pilot.press(*"dmesg", "enter", *"uptime", "enter")
    await pilot.pause(0.5)
    await pilot.press("ctrl+right_square_bracket", "left_square_bracket")
    await pilot.press("question_mark", *"log(in|out)", "enter")
    await pilot.pause(0.3)


SPIES: list[object] = []  # sessions of the other admins in a scene, detached after it


async def help_keys(app: RackApp, pilot: Pilot[int]) -> None:
    await pilot.press("question_mark")
    await pilot.pause()


async def maintenance(app: RackApp, pilot: Pilot[int]) -> None:
    """fey in maintenance with what depends on it, opened through the dialog."""
    from textual.widgets import Checkbox, Input

    from lautre_tui.ui.maintenance_dialogs import StartMaintenance

    await select(app, pilot, "fey")
    await pilot.press("m")
    await settle(lambda: isinstance(app.screen, StartMaintenance))
    app.screen.query_one("#until", Input).value = "90m"
    app.screen.query_one("#dependents", Checkbox).value = True
    await pilot.press(*"replacing a disk", "enter")
    await settle(lambda: _marked(app))
    await pilot.pause(0.3)


def _marked(app: RackApp) -> bool:
    return app.maintenance is not None and bool(app.maintenance.shared.windows)


async def maintenance_end(app: RackApp, pilot: Pilot[int]) -> None:
    """Ending fey's window while a service of emma stays stopped."""
    from lautre_tui.ui.maintenance_dialogs import EndMaintenance

    await settle(lambda: _marked(app))
    await select(app, pilot, "fey")
    await pilot.press("m")
    await settle(lambda: isinstance(app.screen, EndMaintenance))
    await pilot.pause(0.3)


async def palette(app: RackApp, pilot: Pilot[int]) -> None:
    await pilot.press("ctrl+p", *"power fey")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def command_line(app: RackApp, pilot: Pilot[int]) -> None:
    await pilot.press("colon", *"maint start fe")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def events(app: RackApp, pilot: Pilot[int]) -> None:
    from lautre_tui.ui.events_pane import EventsPane
    from lautre_tui.ui.events_screen import EventsScreen

    await pilot.press("e")
    await settle(
        lambda: isinstance(app.screen, EventsScreen) and app.screen.query_one(EventsPane).has_read
    )
    await pilot.pause()


SHOTS: list[tuple[str, tuple[int, int], Scene]] = [
    ("rack-80x24", (80, 24), rack),
    ("rack-160x48", (160, 48), fey_pane),
    ("power-160x48", (160, 48), power_dialog),
    ("console-100x30", (100, 30), console),
    ("help-80x24", (80, 24), help_keys),
    ("maintenance-80x24", (80, 24), maintenance),
    ("maintenance-end-100x30", (100, 30), maintenance_end),
    ("console-who-100x30", (100, 30), console_who),
    ("console-spy-100x30", (100, 30), console_spy),
    ("console-search-100x30", (100, 30), console_search),
    ("palette-80x24", (80, 24), palette),
    ("command-line-80x24", (80, 24), command_line),
    ("events-100x30", (100, 30), events),
]


async def main(names: list[str]) -> None:
    """Every shot, or those named on the command line."""
    from lautre_tui.services.console import ConsoleSession

    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LAUTRE_TUI_STATE_DIR"] = str(Path(folder) / "state")
        async with Lab(Path(folder) / "lab", seed=1) as lab:
            lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "ella", "pop-before-smtp"))
            layout = load_layout(lab.layout_path).layout
            assert layout is not None
            for name, size, scene in SHOTS:
                if names and name not in names:  # names to shoot again (default: all)
                    continue
                if name == "maintenance-end-100x30":  # a service left stopped after the work
                    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
                app = build_app(layout, Path("/tmp/lautre-tui-demo/layout.yaml"), interval=60)
                async with app.run_test(size=size) as pilot:
                    await rounds(app, 3)  # ella's failed check turns hard on the third
                    await pilot.pause()
                    await scene(app, pilot)
                    app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
                    for other in SPIES:
                        assert isinstance(other, ConsoleSession)
                        await other.detach()
                    SPIES.clear()
                print(OUT / f"{name}.svg")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
