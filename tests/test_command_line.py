"""The `:` command line: the CLI's words in the app, completed, remembered, and
leading to the same dialogs as the keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.command_line import Command, CommandError, CommandLine, completions, parse
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.help_screen import HelpScreen
from tests.app_helpers import burst
from tests.conftest import lautre
from tests.lab_helpers import eventually, lab_layout

DEVICES = ["eva", "estelle", "fey", "emma"]


def test_commands_parse_as_the_cli_writes_them() -> None:
    assert parse("power fey off", DEVICES) == Command("power", ("fey", "off"))
    assert parse("maint start fey --for 1h --reason 'disk swap'", DEVICES) == Command(
        "maint", ("start", "fey"), {"for": "1h", "reason": "disk swap"}
    )
    assert parse("filter mail", DEVICES) == Command("filter", ("mail",))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("consle eva", "unknown command 'consle'"),
        ("console nope", "no device 'nope' in the layout"),
        ("power fey sideways", "usage: power HOST on|off|cycle"),
        ("maint start fey --for", "--for: usage"),
        ("maint fey", "usage: maint start HOST"),
        ("power 'fey", "No closing quotation"),
        ("", "type a command"),
    ],
)
def test_a_wrong_command_says_what_and_how(text: str, said: str) -> None:
    with pytest.raises(CommandError, match=said):
        parse(text, DEVICES)


def test_a_device_named_like_an_action_is_named_where_the_host_goes() -> None:
    devices = [*DEVICES, "cycle", "list"]
    assert parse("power cycle off", devices) == Command("power", ("cycle", "off"))
    with pytest.raises(CommandError, match="no device 'off'"):
        parse("power off cycle", devices)  # the action first: refused, never a crash
    assert parse("maint list", devices) == Command("maint", ("list",))
    with pytest.raises(CommandError, match="given twice"):
        parse("maint start fey --for 1h --for 2h", devices)
    with pytest.raises(CommandError, match="--until: usage"):
        parse("maint start fey --until ''", devices)


def test_completion_follows_the_words_before() -> None:
    assert completions("po", DEVICES) == ["power"]
    assert completions("power e", DEVICES) == ["eva", "estelle", "emma"]
    assert completions("power fey o", DEVICES) == ["on", "off"]
    assert completions("maint s", DEVICES) == ["start"]
    assert completions("maint start fey --r", DEVICES) == ["--reason"]
    assert completions("filter ma", DEVICES) == []


def title(app: RackApp) -> str:
    return str(app.screen.query_one("#title", Static).render())


async def test_typed_at_once_completed_and_remembered() -> None:
    app = build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(app, "colon", *"filter mail", "enter")  # keys as one read: none lost
        await eventually(lambda: "filter: mail (" in title(app))
        line = app.screen.query_one(CommandLine)
        assert not line.display and line.history == ["filter mail"]
        await pilot.press("colon", *"fil")
        await eventually(lambda: line._suggestion == "filter")
        await pilot.press("tab")
        assert line.value == "filter"
        await pilot.press("escape")
        assert not line.display
        await pilot.press("colon", "up")
        assert line.value == "filter mail"
        await pilot.press("down")
        assert line.value == ""
        await pilot.press(*"help", "enter")
        await eventually(lambda: isinstance(app.screen, HelpScreen))


async def test_a_mistyped_command_is_said_and_does_nothing() -> None:
    app = build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"consle eva", "enter")
        await eventually(lambda: any("unknown command" in n.message for n in app._notifications))
        assert app.screen is app.rack_screen


async def test_power_from_the_line_asks_first(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"power elea off", "enter")
        await eventually(lambda: isinstance(app.screen, ConfirmPower))
        dialog = app.screen
        assert isinstance(dialog, ConfirmPower) and dialog.impact.device == "elea"
        await pilot.press("escape")
        await eventually(lambda: not isinstance(app.screen, ConfirmPower))
        assert lab.world.outlet_on("apc", 8)
