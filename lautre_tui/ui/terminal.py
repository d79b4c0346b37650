"""A terminal widget backed by pyte, for serial consoles.

pyte's `HistoryScreen` parses at a third of `Screen`'s speed (measured here), so
scrollback is ours: a plain `Screen` that keeps each line as it scrolls off the
top. Incoming bytes are batched and fed once per frame, and lines are drawn
one by one (`render_line`), so a console flood costs one parse per frame, not a
re-render per chunk. Keys go to the host as xterm would send them.

The escape key's menu is a mode of this widget, decided key by key in arrival
order: keys typed at speed after Ctrl-] (a paste, tmux send-keys, SSH batching a
burst) are menu commands whether or not the menu is drawn yet, and never reach
the host. A bracketed paste is data, a pasted Ctrl-] included.
"""

from __future__ import annotations

import time
from typing import Any

from rich.color import Color, ColorParseError
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from lautre_tui.ui.charsets import LineDrawing
from lautre_tui.ui.keys import DEFAULT_ESCAPE_KEY, key_bytes
from lautre_tui.ui.scroll_mode import Copy, ScrollMode
from lautre_tui.ui.term_screen import GuardedByteStream as GuardedByteStream
from lautre_tui.ui.term_screen import ScrollbackScreen as ScrollbackScreen
from lautre_tui.ui.term_screen import safe_feed as safe_feed

CONFIRM_SECONDS = 3.0  # a command to confirm waits this long for its key again
FRAME = 1 / 30
# pyte parses about 1 MB/s here: a frame parses at most this much (≈30 ms), so a
# flood never starves the keys; what is older than that is skipped for display
# (the transcript keeps it), as a real terminal that cannot keep up would.
FRAME_BYTES = 32 * 1024

Line = dict[int, Any]


def _color(name: str) -> Color | None:
    if name == "default":
        return None
    if len(name) == 6 and all(c in "0123456789abcdefABCDEF" for c in name):
        return Color.parse("#" + name)
    try:
        return Color.parse(name.replace("bright", "bright_") if name.startswith("bright") else name)
    except ColorParseError:
        return None


class TerminalView(Widget, can_focus=True):
    """Shows a console; posts `Keys` for what the admin types and `EscapeKey`."""

    DEFAULT_CSS = "TerminalView { height: 1fr; background: black; color: #d0d0d0; }"

    class Keys(Message):
        """Bytes the admin typed or pasted, for the host."""

        def __init__(self, data: bytes) -> None:
            self.data = data
            super().__init__()

    class MenuOpened(Message):
        """The escape key (Ctrl-] by default) was typed: the next key is a command."""

    class MenuCommand(Message):
        """A menu command, in the order it was typed; `key` follows `sysrq`."""

        def __init__(self, action: str, key: str = "") -> None:
            self.action = action
            self.key = key
            super().__init__()

    class MenuClosed(Message):
        """The menu closed without a command (`why` is shown); nothing was sent."""

        def __init__(self, why: str) -> None:
            self.why = why
            super().__init__()

    class Copied(Message):
        """Lines selected in scroll mode: for the clipboard, or (`save`) a file."""

        def __init__(self, text: str, save: bool) -> None:
            self.text = text
            self.save = save
            super().__init__()

    class Failed(Message):
        """The terminal could not show what came (a bug of ours): end this console."""

        def __init__(self, reason: str) -> None:
            self.reason = reason
            super().__init__()

    def __init__(
        self,
        *,
        menu: dict[str, str] | None = None,
        confirm_first: frozenset[str] = frozenset(),
        confirm_sysrq: frozenset[str] = frozenset(),
        escape_key: str = DEFAULT_ESCAPE_KEY,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.escape_key = escape_key
        self.menu = menu or {}  # key character -> action
        self.confirm_first = confirm_first  # actions whose key must be pressed twice
        self.confirm_sysrq = confirm_sysrq  # SysRq command keys to press twice
        self._confirm_until = 0.0  # the second press counts until then (monotonic)
        self.mode = "data"  # "data", "menu", "sysrq" (its command key next), "confirm", "scroll"
        self.scroll = ScrollMode(self)
        self._confirming: tuple[str, str, str] = ("", "", "")  # action, its key, the key to press
        self.screen_buffer = ScrollbackScreen(80, 24)
        self._stream = GuardedByteStream(self.screen_buffer)
        self._line_drawing = LineDrawing()
        self._pending = bytearray()
        self._flush_scheduled = False
        self.scroll_back = 0  # lines of history shown above the screen (0: live)
        self._styles: dict[tuple[Any, ...], Style] = {}
        self.fed_bytes = 0
        self.skipped_bytes = 0  # not drawn: the screen could not keep up with a flood

    # -- bytes in ------------------------------------------------------------------------

    def feed(self, data: bytes | memoryview) -> None:
        """Queue bytes from the host (copied: a memoryview may be a read buffer that is
        used again); they are parsed once per frame. Callable from any callback of the
        app's loop (the console's reader hands bytes over there)."""
        self._pending += data
        excess = len(self._pending) - 2 * FRAME_BYTES
        if excess > 0:
            del self._pending[:excess]
            self.skipped_bytes += excess
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.call_later(self._arm_flush)

    def _arm_flush(self) -> None:
        self.set_timer(FRAME, self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        skip = max(0, len(self._pending) - FRAME_BYTES)
        data = bytes(self._pending[skip:])
        self._pending.clear()
        self.skipped_bytes += skip
        try:
            safe_feed(self._stream, self._line_drawing.feed(data))
        except Exception as error:
            self._pending.clear()
            self.post_message(self.Failed(f"{error.__class__.__name__}: {error}"))
            return
        self.fed_bytes += len(data)
        if self.mode == "scroll":
            self.scroll.sync()  # the lines in view stay in view
        self.refresh()

    def flush_now(self) -> None:
        """Parse what is queued at once (tests, benchmarks)."""
        self._flush()

    def text(self) -> str:
        """The visible screen as text (what the admin reads)."""
        return "\n".join(self.screen_buffer.display)

    # -- size ----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        lines, columns = max(2, event.size.height), max(10, event.size.width)
        if (lines, columns) != (self.screen_buffer.lines, self.screen_buffer.columns):
            self.screen_buffer.resize(lines, columns)
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- keys out ------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if self.mode == "scroll":
            done = self.scroll.key(event)
            if done is False:
                self.leave_scroll()
            elif isinstance(done, Copy):
                self.post_message(self.Copied(done.text, done.save))
            return
        if self.mode != "data":
            self._menu_key(event)
            return
        if event.key == self.escape_key:
            self.mode = "menu"
            self.post_message(self.MenuOpened())
            return
        if event.key == "shift+pageup":
            self.enter_scroll()
            self.scroll.key(event)
            return
        data = key_bytes(event.key, event.character)
        if data is not None:
            if self.scroll_back:
                self.scroll_back = 0
                self.refresh()
            self.post_message(self.Keys(data))

    def enter_scroll(self) -> None:
        """Scroll mode (Shift+PgUp, or the menu's `[`): see `scroll_mode`."""
        self.mode = "scroll"
        self.scroll.enter()

    def leave_scroll(self) -> None:
        self.mode = "data"
        self.scroll_back = 0
        self.refresh()

    def _menu_key(self, event: events.Key) -> None:
        """One key of the menu: a command, Ctrl-] again (a literal Ctrl-] for the
        host, as in tio), Esc, or anything else, which closes it sending nothing."""
        mode, self.mode = self.mode, "data"
        if mode == "confirm":
            confirming, key, again = self._confirming
            what = f"SysRq {key}" if confirming == "sysrq" else confirming
            if event.character == again and time.monotonic() <= self._confirm_until:
                self.post_message(self.MenuCommand(confirming, key))
            elif event.character == again:
                self.post_message(
                    self.MenuClosed(f"{what} not sent: confirm within {CONFIRM_SECONDS:g} s")
                )
            else:
                self.post_message(self.MenuClosed(f"{what} not sent"))
            return
        if mode == "sysrq":
            if event.character and event.character.isprintable():
                if event.character in self.confirm_sysrq:
                    self._confirm("sysrq", event.character, event.character)
                else:
                    self._command("sysrq", event.character, event.character)
            else:
                self.post_message(self.MenuClosed("no SysRq command: nothing sent"))
            return
        action = self.menu.get(event.character or "")
        if event.key == self.escape_key:
            self.post_message(self.Keys(b"\x1d"))
            self.post_message(self.MenuClosed("Ctrl-] sent to the host"))
        elif event.key == "escape":
            self.post_message(self.MenuClosed("menu closed"))
        elif action == "sysrq":
            self.mode = "sysrq"
            self.post_message(self.MenuCommand("sysrq-armed"))
        elif action is not None:
            self._command(action, "", event.character or "")
        else:
            shown = event.character if event.character and event.character.isprintable() else ""
            self.post_message(
                self.MenuClosed(f"menu closed: {shown or event.key} is not a command; nothing sent")
            )

    def _command(self, action: str, key: str, pressed: str) -> None:
        """A command, or for those that must be confirmed, the question: decided
        here, key by key, so that a key typed after it cannot slip past."""
        if action in self.confirm_first:
            self._confirm(action, key, pressed)
        else:
            self.post_message(self.MenuCommand(action, key))

    def _confirm(self, action: str, key: str, pressed: str) -> None:
        """Ask for `pressed` again within CONFIRM_SECONDS before `action` goes."""
        self.mode = "confirm"
        self._confirming = (action, key, pressed)
        self._confirm_until = time.monotonic() + CONFIRM_SECONDS
        self.post_message(
            self.MenuCommand("confirm", action if action != "sysrq" else f"sysrq {key}")
        )

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if self.mode != "data":
            self.mode = "data"
            self.post_message(self.MenuClosed("menu closed by a paste; nothing sent"))
            return
        self.post_message(self.Keys(event.text.encode("utf-8")))

    # -- drawing -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        screen = self.screen_buffer
        history = screen.history
        row = y - self.scroll_back
        if row < 0:
            index = len(history) + row
            line: Line = history[index] if 0 <= index < len(history) else {}
            cursor = -1
        else:
            line = screen.buffer[row] if row < screen.lines else {}
            live = self.scroll_back == 0 and self.has_focus and not screen.cursor.hidden
            cursor = screen.cursor.x if live and row == screen.cursor.y else -1
        segments: list[Segment] = []
        run: list[str] = []
        run_style: Style | None = None
        for x in range(screen.columns):
            char = line.get(x) if line else None
            style = self._style(char, x == cursor)
            if style is not run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run_style = style
            run.append((char.data if char is not None else " ") or " ")
        if run:
            segments.append(Segment("".join(run), run_style))
        if self.mode == "scroll":
            return self.scroll.render_line(y, Strip(segments, screen.columns))
        return Strip(segments, screen.columns)

    def _style(self, char: Any, cursor: bool) -> Style:
        if char is None:
            key: tuple[Any, ...] = ("default", "default", False, False, False, False, cursor)
        else:
            key = (char.fg, char.bg, char.bold, char.italics, char.underscore, char.reverse, cursor)
        style = self._styles.get(key)
        if style is None:
            fg, bg, bold, italic, underline, reverse, at_cursor = key
            style = Style(
                color=_color(fg),
                bgcolor=_color(bg),
                bold=bold,
                italic=italic,
                underline=underline,
                reverse=reverse != at_cursor,
            )
            self._styles[key] = style
        return style
