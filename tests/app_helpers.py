"""Driving the app as a terminal does: keys that arrive together."""

from __future__ import annotations

import asyncio
import unicodedata
from typing import Any

from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key
from textual.pilot import Pilot

from lautre_tui.model.health import RoundInfo
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.rack_view import RackView
from lautre_tui.ui.terminal import TerminalView
from tests.lab_helpers import eventually


def go_to(app: RackApp, device: str) -> RackView:
    """`device` selected in the rack shown, as the arrows would; that rack's view."""
    rack = app.rack_screen.current_rack()
    assert rack is not None
    rack.select(device)
    return rack


def last_round(app: RackApp) -> RoundInfo | None:
    poller = app.site.poller
    return poller.last_round if poller is not None else None


async def a_round_after(app: RackApp, before: RoundInfo | None = None) -> RoundInfo:
    """Wait for the app's poller to end a round after `before` (the first, if None)."""
    await eventually(lambda: last_round(app) not in (None, before))
    done = last_round(app)
    assert done is not None
    return done


async def burst(app: App[Any], *keys: str) -> None:
    """Keys as one read from the terminal brings them (a paste, tmux send-keys, SSH
    batching): all queued before the app handles the first. Returns once the app has
    taken them all (what they set off may still be running)."""
    for key in keys:
        try:  # the character as Textual's own driver would give it
            char: str | None = unicodedata.lookup(
                _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
            )
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        assert app._driver is not None
        app._driver.send_message(event)  # no wait between keys
    taken = asyncio.Event()  # through the same queue, behind the keys
    assert app._driver is not None
    app._driver.send_message(events.Callback(callback=taken.set))
    await asyncio.wait_for(taken.wait(), 20)  # the app has taken every key of the burst


async def open_console(app: RackApp, pilot: Pilot[Any], host: str) -> TerminalView:
    """`c` on `host` in the rack, as an admin does; the console's terminal once drawn."""
    from lautre_tui.ui.console_screen import ConsoleScreen
    from tests.lab_helpers import eventually

    go_to(app, host)
    await pilot.press("c")
    await eventually(lambda: isinstance(app.screen, ConsoleScreen))
    screen = app.screen
    await eventually(lambda: bool(screen.query(TerminalView)))
    return screen.query_one(TerminalView)
