"""The rack view and device pane, driven headlessly with Pilot like an admin would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.device_pane import DevicePane
from lautre_tui.ui.help_screen import HelpScreen
from lautre_tui.ui.rack_screen import RackScreen, short_path
from lautre_tui.ui.rack_view import RackView
from tests.app_helpers import go_to
from tests.conftest import LAUTRE_LAYOUT, lautre

SIZES = [(80, 24), (160, 48)]


def app_for(layout: Layout | None = None, **kwargs: object) -> RackApp:
    return RackApp(layout or lautre(), layout_path=LAUTRE_LAYOUT, **kwargs)  # type: ignore[arg-type]


def rack_lines(app: RackApp) -> list[str]:
    rack = app.rack_screen.current_rack()
    assert rack is not None
    return rack.render().plain.splitlines()


def _plain(static: Static) -> str:
    """The pane's text as rendered at its width (what the admin reads)."""
    console = Console(width=max(20, static.size.width), record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


@pytest.mark.parametrize("size", SIZES)
async def test_every_device_is_visible_without_scrolling(size: tuple[int, int]) -> None:
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rack = app.rack_screen.current_rack()
        assert rack is not None
        lines = rack_lines(app)
        assert len(lines) <= rack.size.height
        text = "\n".join(lines)
        for name in app.site.layout.devices:
            assert f" {name} " in text, name
        assert "U free" in text or "· free" in text
        assert app.query_one("#title", Static).visual is not None


async def test_the_header_says_which_file_was_loaded() -> None:
    app = app_for(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = str(app.query_one("#title", Static).render())
        assert short_path(LAUTRE_LAYOUT) in title and title.rstrip().count("lautre.yaml") == 1
        assert "read-only" in title


async def test_at_scale_each_unit_is_one_row() -> None:
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        lines = rack_lines(app)
        assert len(lines) == 42
        assert lines[0].startswith("42 ") and lines[-1].startswith(" 1 ")
        # fey occupies U25-U27: three rows, the second with its state in words
        fey = [line for line in lines if line[:2] in ("27", "26", "25")]
        assert "fey" in fey[0] and "not yet polled" in fey[1]


async def test_states_are_told_by_glyph_not_colour_alone() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = {line.split()[2]: line for line in rack_lines(app) if "▌" in line}
        assert "◌ estelle" in lines["estelle"]  # standby: expected off
        assert "◇ eyra" in lines["eyra"]  # staging
        assert "○ eva" in lines["eva"]  # not polled yet


async def test_navigation_moves_the_selection_and_the_pane_follows() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rack = app.rack_screen.current_rack()
        assert rack is not None and rack.selected == "ada"
        await pilot.press("j", "j", "down")
        assert rack.selected == "eva"
        assert app.query_one(DevicePane).device is not None
        assert app.query_one(DevicePane).device.name == "eva"  # type: ignore[union-attr]
        await pilot.press("k")
        assert rack.selected == "console"
        await pilot.press("end")
        assert rack.selected == "apc"
        await pilot.press("home")
        assert rack.selected == "ada"
        await pilot.press("up")
        assert rack.selected == "ada"


async def test_pane_shows_links_and_dependents() -> None:
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        rack = go_to(app, "fey")
        await pilot.pause()
        text = _plain(app.query_one("#device-info", Static))
        assert "NFS file server" in text
        assert "NFSD, rsync" in text
        assert "baie-1, U25-U27 (3 U)" in text
        assert "console port 7, 9600 baud" in text
        assert "apc outlet 10, apc outlet 11" in text
        assert "Needed by" in text and "emma, ella, elsa" in text
        assert "backups" in text
        rack.select("estelle")
        await pilot.pause()
        text = _plain(app.query_one("#device-info", Static))
        assert "eva (off until eva fails)" in text
        assert "standby (expected off)" in text


async def test_enter_focuses_the_pane_and_tab_switches_back() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, RackView)
        await pilot.press("enter")
        assert isinstance(app.focused, DevicePane)
        await pilot.press("tab")
        assert isinstance(app.focused, RackView)
        await pilot.press("tab")
        assert isinstance(app.focused, DevicePane)
        await pilot.press("escape")
        assert isinstance(app.focused, RackView)


async def test_click_selects_a_device() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rack = app.rack_screen.current_rack()
        assert rack is not None
        row = next(i for i, line in enumerate(rack_lines(app)) if " elea " in line)
        await pilot.click(RackView, offset=(8, row))
        assert rack.selected == "elea"


async def test_filter_by_role_and_software() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rack = app.rack_screen.current_rack()
        assert rack is not None
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"mysql")
        assert rack.selected == "elea"
        await pilot.press("enter")
        assert isinstance(app.focused, RackView)
        await pilot.press("j")  # only matches are navigable
        assert rack.selected == "elea"
        await pilot.press("escape")  # clears the filter
        await pilot.press("j")
        assert rack.selected == "elsa"
        await pilot.press("slash", *"quagga", "enter")
        assert rack.selected == "eva"
        await pilot.press("j")
        assert rack.selected == "estelle"


async def test_help_lists_every_key_and_closes() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = _plain(app.screen.query_one("#help-keys", Static))
        for binding in [*RackApp.BINDINGS, *RackScreen.BINDINGS, *RackView.BINDINGS]:
            assert binding.description in text  # type: ignore[union-attr]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits() -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert not app.is_running


async def test_several_racks_take_turns_in_the_rack_view(tmp_path: Path) -> None:
    text = LAUTRE_LAYOUT.read_text().replace(
        "racks:\n  - name: baie-1\n", "racks:\n  - name: baie-0\n    height: 12\n  - name: baie-1\n"
    )
    text = text.replace("  elga:\n    rack: baie-1", "  elga:\n    rack: baie-0")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    result = load_layout(path)
    assert result.errors == []
    app = RackApp(result.layout, layout_path=path)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        switcher = app.query_one("#rack-switcher", Static)
        rack = app.rack_screen.current_rack()
        assert rack is not None and rack.rack.name == "baie-0"
        assert str(switcher.render()) == "[ baie-0 1/2 ]"
        await pilot.press("right_square_bracket")
        assert rack.rack.name == "baie-1" and str(switcher.render()) == "[ baie-1 2/2 ]"
        await pilot.press("down", "down")
        chosen = rack.selected
        await pilot.pause()
        assert app.query_one(DevicePane).device.name == chosen  # type: ignore[union-attr]
        await pilot.click("#rack-switcher", offset=(1, 0))  # the left half: the previous
        assert rack.rack.name == "baie-0" and rack.selected == "elga"
        await pilot.press("left_square_bracket")  # back: the device chosen there is kept
        assert rack.rack.name == "baie-1" and rack.selected == chosen
        await pilot.press("slash", *"vserver", "enter")  # the filter goes to the match's rack
        assert rack.rack.name == "baie-0" and rack.selected == "elga"
        assert str(switcher.render()) == "[ baie-0 1/2 ]"


async def test_layout_errors_are_shown_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        LAUTRE_LAYOUT.read_text().replace(
            "depends_on: [elea, fey, ada, facteur]", "depends_on: [elea, fy, ada, facteur]", 1
        )
    )
    result = load_layout(path)
    assert len(result.errors) == 1
    app = RackApp(result.layout, layout_path=path, errors=result.errors)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("layout errors" in (n.title or "") for n in app._notifications)
        assert "emma" in "\n".join(rack_lines(app))


def test_long_layout_paths_keep_their_file_name() -> None:
    path = Path("/srv/a/very/long/path/to/the/admins/shared/config/lautre.yaml")
    short = short_path(path)
    assert len(short) == 34 and short.startswith("…") and short.endswith("/config/lautre.yaml")
    assert short_path(Path.home() / "rack.yaml") == "~/rack.yaml"


async def test_the_header_gives_the_path_the_room_a_wide_terminal_has() -> None:
    path = Path("/srv/a/very/long/path/to/the/admins/shared/config/lautre.yaml")
    app = RackApp(lautre(), layout_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        title = app.screen.query_one("#title", Static)
        await pilot.pause()
        assert "…" in str(title.render()) and str(path) not in str(title.render())
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert str(path) in str(title.render())


async def test_the_selection_stays_visible_in_a_small_terminal_and_a_full_rack(
    tmp_path: Path,
) -> None:
    from lautre_tui.cli.tui import build_app
    from lautre_tui.model.loader import load_layout

    lines = ["racks: [{name: full, height: 42}]", "devices:"]
    for index in range(30):
        lines.append(
            f"  dev{index:02d}: {{rack: full, u: {42 - index}, kind: other, state: staging}}"
        )
    path = tmp_path / "full.yaml"
    path.write_text("\n".join(lines) + "\n")
    layout = load_layout(path).layout
    assert layout is not None
    app = build_app(layout, path, poll=False)
    async with app.run_test(size=(60, 18)) as pilot:
        rack = app.rack_screen.current_rack()
        assert rack is not None
        rack.focus()
        for index in range(29):
            await pilot.press("j")
            await pilot.pause()
            assert f"dev{index + 1:02d}" in "\n".join(rack_lines(app)), index
        assert "↑" in "\n".join(rack_lines(app))
        await pilot.press("home")
        await pilot.pause()
        text = "\n".join(rack_lines(app))
        assert "dev00" in text and "↓" in text
