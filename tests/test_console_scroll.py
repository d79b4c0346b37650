"""Scroll mode: move, search (highlighted), a flood never moves the view, select
and copy (OSC 52 through Textual) or save under the state folder."""

from __future__ import annotations

import stat

from rich.color import Color
from textual.app import App, ComposeResult

from lautre_tui.lab.runner import Lab
from lautre_tui.services.console import consoles_dir
from lautre_tui.ui.console_app import ConsoleApp
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.terminal import TerminalView
from tests.app_helpers import burst
from tests.lab_helpers import eventually
from tests.test_console import target


class ScrollApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.copied: list[TerminalView.Copied] = []

    def compose(self) -> ComposeResult:
        yield TerminalView()

    def on_terminal_view_copied(self, message: TerminalView.Copied) -> None:
        self.copied.append(message)


def rows(view: TerminalView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def test_search_highlight_flood_select_and_copy() -> None:
    app = ScrollApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(TerminalView)
        view.feed(b"".join(b"line %03d\r\n" % n for n in range(200)))
        view.flush_now()
        await pilot.press("shift+pageup")
        assert view.mode == "scroll" and view.scroll_back > 0
        assert rows(view)[-1].startswith("SCROLL line")
        await pilot.press("question_mark", *"line 0[45]2", "enter")  # upwards
        assert view.scroll.text(view.scroll.cursor) == "line 052"
        await pilot.press("n")  # the same way: up
        assert view.scroll.text(view.scroll.cursor) == "line 042"
        await pilot.press("N")
        assert view.scroll.text(view.scroll.cursor) == "line 052"
        await pilot.press("n")
        row = rows(view).index("line 042")
        lit = [s for s in view.render_line(row) if s.style and s.style.bgcolor]
        warning = Color.parse(app.get_css_variables()["warning"])  # the theme's, not a name
        assert lit and lit[0].style is not None and lit[0].style.bgcolor == warning
        shown = rows(view)[:-1]
        view.feed(b"".join(b"flood %03d\r\n" % n for n in range(300)))  # while scrolling
        view.flush_now()
        assert rows(view)[:-1] == shown  # the view did not move
        await pilot.press("v", "up", "up", "y")
        assert [c.text for c in app.copied] == ["line 040\nline 041\nline 042"]
        assert not app.copied[0].save
        await pilot.press("Y")
        assert app.copied[-1].text == "line 040" and app.copied[-1].save
        await pilot.press("slash", *"nothing here", "enter")
        assert "no more matches below" in rows(view)[-1]
        await pilot.press("G")
        assert view.scroll_back == 0 and view.mode == "scroll"
        await pilot.press("escape")
        assert view.mode == "data" and view.scroll_back == 0
        assert "flood 299" in view.text()


async def test_the_menus_bracket_then_copy_and_save_from_a_console(lab: Lab) -> None:
    app = ConsoleApp(target(lab, "ella"))
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        await eventually(lambda: bool(screen.query(TerminalView)))
        await burst(app, "enter")
        await eventually(lambda: "ella login:" in screen.terminal.text())
        await burst(app, "ctrl+right_square_bracket", "left_square_bracket")
        await eventually(lambda: screen.terminal.mode == "scroll")
        await pilot.press("question_mark", *"login:", "enter", "y")
        await eventually(lambda: "ella login:" in app.clipboard)
        await pilot.press("Y")
        saved = consoles_dir() / "selections"
        await eventually(lambda: saved.exists() and any(saved.iterdir()))
        path = next(saved.iterdir())
        assert "ella login:" in path.read_text() and path.name.startswith("ella-")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert any(str(path) in n.message for n in app._notifications)
        await pilot.press("escape", "a")  # live again: keys go to the host
        await eventually(lambda: "ella login: a" in screen.terminal.text())
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)
