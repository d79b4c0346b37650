"""Scroll mode of the console's terminal: move through the scrollback, search it,
select lines and copy them.

Lines have stable ids: the n-th line that ever scrolled into the history has id
n, and the live screen's rows follow the last of them. The view is anchored to
the id of its top line, so a flood while scrolling never moves it (until the
lines it shows fall off the end of the history). Keys: arrows or j/k, PgUp/PgDn,
g/G top and bottom, `/` and `?` search a regex down and up, n/N next and
previous match, v marks the start of a selection, y copies it to the terminal's
clipboard (OSC 52), Y saves it to a file, Esc or q back to live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip

from lautre_tui.ui.tones import tones_of

if TYPE_CHECKING:
    from lautre_tui.ui.terminal import TerminalView

Line = dict[int, Any]
SELECTED = Style(reverse=True)
CURSOR_LINE = Style(underline=True)


@dataclass(slots=True)
class Copy:
    """Lines to copy: to the clipboard, or (`save`) to a file."""

    text: str
    save: bool


def line_text(line: Line, columns: int) -> str:
    return "".join((line[x].data if x in line else " ") or " " for x in range(columns)).rstrip()


class ScrollMode:
    """The state of scroll mode for one TerminalView."""

    def __init__(self, view: TerminalView) -> None:
        self.view = view
        self.top = 0  # id of the line at the top of the view
        self.cursor = 0  # id of the cursor's line
        self.anchor: int | None = None  # where a selection started (`v`)
        self.prompt: str | None = None  # "/..." or "?..." while a search is typed
        self.pattern: re.Pattern[str] | None = None
        self.forward = True
        self.said = ""

    # -- lines ------------------------------------------------------------------------------

    @property
    def first(self) -> int:
        screen = self.view.screen_buffer
        return screen.appended - len(screen.history)

    @property
    def live(self) -> int:
        """Id of the live screen's first row."""
        return self.view.screen_buffer.appended

    @property
    def last(self) -> int:
        return self.live + self.view.screen_buffer.lines - 1

    @property
    def height(self) -> int:
        return max(1, self.view.screen_buffer.lines - 1)  # the last row is the status

    def line(self, ident: int) -> Line:
        screen = self.view.screen_buffer
        if ident < self.live:
            index = ident - self.first
            return screen.history[index] if 0 <= index < len(screen.history) else {}
        row = ident - self.live
        return screen.buffer[row] if row < screen.lines else {}

    def text(self, ident: int) -> str:
        return line_text(self.line(ident), self.view.screen_buffer.columns)

    # -- moving -----------------------------------------------------------------------------

    def enter(self) -> None:
        self.top = self.live  # the live screen as it is, its cursor's line marked
        self.cursor = self.live + min(self.view.screen_buffer.cursor.y, self.height - 1)
        self.anchor, self.prompt, self.said = None, None, ""
        self.sync()

    def sync(self) -> None:
        """The view's scroll_back from the top line's id (after moves, and after
        a flood grew the history: the same lines stay in view)."""
        self.top = max(self.first, min(self.top, self.live))
        self.cursor = max(self.first, min(self.cursor, self.last))
        self.view.scroll_back = self.live - self.top
        self.view.refresh()

    def go(self, cursor: int) -> None:
        self.cursor = max(self.first, min(cursor, self.last))
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + self.height:
            self.top = self.cursor - self.height + 1
        self.sync()

    # -- keys -------------------------------------------------------------------------------

    def key(self, event: events.Key) -> Copy | bool | None:
        """Handle a key; False when scroll mode ends, a Copy to copy, else None."""
        if self.prompt is not None:
            self._prompt_key(event)
            return None
        key, char = event.key, event.character or ""
        page = self.height
        if key in ("escape",) or char == "q":
            return False
        if key in ("up",) or char == "k":
            self.go(self.cursor - 1)
        elif key in ("down",) or char == "j":
            self.go(self.cursor + 1)
        elif key in ("pageup", "shift+pageup"):
            self.top -= page
            self.go(self.cursor - page)
        elif key in ("pagedown", "shift+pagedown"):
            self.top += page
            self.go(self.cursor + page)
        elif char == "g":
            self.go(self.first)
        elif char == "G":
            self.top = self.live
            self.go(self.last)
        elif char in ("/", "?"):
            self.prompt = char
            self.view.refresh()
        elif char in ("n", "N"):
            self.search(self.forward == (char == "n"))
        elif char == "v":
            self.anchor = None if self.anchor is not None else self.cursor
            self.view.refresh()
        elif char in ("y", "Y"):
            start, end = sorted((self.cursor, self.cursor if self.anchor is None else self.anchor))
            text = "\n".join(self.text(ident) for ident in range(start, end + 1))
            self.anchor = None
            self.said = f"{end - start + 1} line{'s' if end > start else ''} copied"
            self.view.refresh()
            return Copy(text, save=char == "Y")
        return None

    def _prompt_key(self, event: events.Key) -> None:
        assert self.prompt is not None
        if event.key == "escape":
            self.prompt = None
        elif event.key == "enter":
            kind, text = self.prompt[0], self.prompt[1:]
            self.prompt = None
            try:
                self.pattern = re.compile(text) if text else self.pattern
            except re.error as error:
                self.said = f"not a regex: {error}"
                self.view.refresh()
                return
            self.forward = kind == "/"
            self.search(self.forward)
        elif event.key == "backspace":
            self.prompt = self.prompt[:-1] or self.prompt[:1]
        elif event.character and event.character.isprintable():
            self.prompt += event.character
        self.view.refresh()

    def search(self, down: bool) -> None:
        if self.pattern is None:
            self.said = "no search yet: / or ?"
            self.view.refresh()
            return
        step = 1 if down else -1
        ident = self.cursor + step
        while self.first <= ident <= self.last:
            if self.pattern.search(self.text(ident)):
                self.said = ""
                self.go(ident)
                return
            ident += step
        self.said = f"{self.pattern.pattern}: no more matches {'below' if down else 'above'}"
        self.view.refresh()

    # -- drawing ----------------------------------------------------------------------------

    def status(self) -> str:
        if self.prompt is not None:
            return self.prompt
        where = f"line {self.cursor - self.first + 1}/{self.last - self.first + 1}"
        selecting = " · selecting (y copy, Y save)" if self.anchor is not None else ""
        said = f" · {self.said}" if self.said else ""
        return f"SCROLL {where}{selecting}{said} · / ? search, n N, v select, y copy, Esc live"

    def render_line(self, y: int, plain_strip: Strip) -> Strip:
        """Row `y` of the view: the line's own strip with the cursor line, the
        selection and the search's matches marked; the last row says where we are."""
        columns = self.view.screen_buffer.columns
        if y == self.height:
            text = self.status()[:columns].ljust(columns)
            return Strip([Segment(text, tones_of(self.view).rich("banner"))], columns)
        ident = self.top + y
        overlay: Style | None = None
        if self.anchor is not None and min(self.anchor, self.cursor) <= ident <= max(
            self.anchor, self.cursor
        ):
            overlay = SELECTED
        elif ident == self.cursor:
            overlay = CURSOR_LINE
        strip = plain_strip.apply_style(overlay) if overlay is not None else plain_strip
        if self.pattern is None:
            return strip
        spans = [m.span() for m in self.pattern.finditer(self.text(ident)) if m.end() > m.start()]
        if not spans:
            return strip
        match = tones_of(self.view).rich("match")
        cells: list[Segment] = []
        x = 0
        for segment in strip:
            for char in segment.text:
                lit = any(start <= x < end for start, end in spans)
                style = (segment.style or Style()) + match if lit else segment.style
                cells.append(Segment(char, style))
                x += 1
        return Strip(Segment.simplify(cells), columns)
