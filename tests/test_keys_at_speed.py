"""Keys at the speed of hands: what arrives in one read (a fast typist, a paste, tmux
send-keys, SSH batching keystrokes) does what it says, in order, and never
confirms what the admin has not seen."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.services.console import transcript_path
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.power_screen import PowerScreen
from tests.app_helpers import burst, go_to, open_console
from tests.lab_helpers import eventually, lab_layout


async def test_keys_typed_right_after_slash_go_to_the_filter_in_order(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        rack = app.rack_screen.current_rack()
        assert rack is not None
        await pilot.pause()
        await burst(app, "slash", *"mail", "j", "k")  # j and k are text here, not moves
        await eventually(lambda: app.query_one("#filter", Input).value == "mailjk")
        assert isinstance(app.focused, Input)
        await burst(app, "slash")  # a slash in the field is text too
        await eventually(lambda: app.query_one("#filter", Input).value == "mailjk/")


async def test_a_slash_in_a_console_goes_to_the_host(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_console(app, pilot, "elea")
        await burst(app, "enter", "slash", *"tmp")
        await eventually(lambda: b"elea login: /tmp" in transcript_path("elea").read_bytes())
        assert not app.query_one("#filter", Input).display


async def test_no_key_that_arrived_before_the_power_dialog_was_drawn_confirms_it(
    lab: Lab,
) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        go_to(app, "eyra")
        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PowerScreen) and bool(app.screen.strips))
        outlet = lab_layout(lab).devices["eyra"].power[0].outlet
        for keys in (("x", "tab", "enter"), ("x", "tab", "tab", "space", "enter", "enter")):
            await burst(app, *keys)  # cancelled (Enter on Cancel) or left unarmed: never on
            await pilot.pause(0.5)
            if isinstance(app.screen, ConfirmPower):
                await pilot.press("escape")
            await eventually(lambda: isinstance(app.screen, PowerScreen))
            assert lab.world.outlet_on("apc", outlet)
        await pilot.press("x")  # typed after it is drawn, the dialog works as ever
        await eventually(lambda: isinstance(app.screen, ConfirmPower) and app.screen.armed)
        await pilot.press("tab", "enter")
        await eventually(lambda: not lab.world.outlet_on("apc", outlet))


async def test_a_break_where_it_halts_the_host_asks_first(lab: Lab) -> None:
    layout = lab_layout(lab)
    eyra = layout.devices["eyra"]
    assert eyra.console is not None
    halting = replace(eyra, console=replace(eyra.console, break_halts=True))
    layout = replace(layout, devices={**layout.devices, "eyra": halting})
    app = build_app(layout, lab.layout_path, poll=False)
    breaks = lab.console_server.device("eyra").breaks
    async with app.run_test(size=(100, 30)) as pilot:
        await open_console(app, pilot, "eyra")
        await burst(app, "ctrl+right_square_bracket", "b", "x")  # asked, and cancelled
        await eventually(lambda: any("break not sent" in n.message for n in app._notifications))
        assert breaks == []
        await burst(app, "ctrl+right_square_bracket", "b", "b")  # asked, and confirmed
        await eventually(lambda: len(breaks) == 1)


async def test_the_header_says_the_filter_in_words(lab: Lab) -> None:
    from textual.widgets import Static

    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await burst(app, "slash", *"mail", "enter")
        title = app.query_one("#title", Static)
        await eventually(lambda: "filter: mail (" in str(title.render()))
        assert "/17)" in str(title.render())
        await pilot.press("escape")
        await eventually(lambda: "filter:" not in str(title.render()))
