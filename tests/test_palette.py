"""Every action one command away: the command palette (Ctrl+P) finds devices and
the actions on them by name, and leads to the same dialogs as the keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.help_screen import HelpScreen
from tests.conftest import lautre
from tests.lab_helpers import eventually, lab_layout


async def run_command(pilot: Pilot[Any], app: RackApp, text: str) -> None:
    """Ctrl+P, the words, then Enter once the palette lists its first hit."""
    await pilot.press("ctrl+p", *text)
    await eventually(lambda: isinstance(app.screen, CommandPalette))
    hits = app.screen.query_one(CommandList)
    await eventually(lambda: hits.option_count > 0)
    await pilot.press("enter")


def selected(app: RackApp) -> str | None:
    device = app.rack_screen.selected_device
    return device.name if device is not None else None


async def test_the_palette_jumps_to_a_device_and_opens_the_help() -> None:
    app = build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_command(pilot, app, "go to fey")
        await eventually(lambda: selected(app) == "fey")
        await run_command(pilot, app, "keys")
        await eventually(lambda: isinstance(app.screen, HelpScreen))


async def test_power_off_from_the_palette_asks_first_like_the_key(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_command(pilot, app, "power off elea")
        await eventually(lambda: isinstance(app.screen, ConfirmPower))
        dialog = app.screen
        assert isinstance(dialog, ConfirmPower) and dialog.impact.device == "elea"
        assert selected(app) == "elea"
        await pilot.press("escape")  # Cancel is the default: nothing is switched
        await eventually(lambda: not isinstance(app.screen, ConfirmPower))
        assert lab.world.outlet_on("apc", 8)
