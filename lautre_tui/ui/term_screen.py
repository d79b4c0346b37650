"""The screen behind the console's terminal: pyte's parser made safe against any
bytes, and a pyte Screen that keeps its scrollback (see `terminal`)."""

from __future__ import annotations

from collections import deque
from typing import Any

import pyte

HISTORY_LINES = 5000

Line = dict[int, Any]


class GuardedByteStream(pyte.ByteStream):
    """pyte's parser, where a malformed sequence is dropped instead of raising.

    pyte raises on what line noise and a wrong baud rate produce (a CSI with more
    parameters than its handler takes, a parameter of thousands of digits); it
    resets its parser before re-raising, so dropping the sequence and going on
    with the next byte is exactly what a hardware terminal does."""

    dropped = 0

    def _send_to_parser(self, data: str) -> bool | None:
        try:
            return super()._send_to_parser(data)
        except Exception:
            self.dropped += 1
            return self._taking_plain_text


def safe_feed(stream: GuardedByteStream, data: bytes) -> None:
    """Feed bytes from a host; never raises, whatever the bytes.

    The parser drops malformed sequences itself; this also survives a failure in
    pyte's drawing of plain text (the chunk's rest is lost for the display only:
    the transcript keeps every byte) and keeps the cursor within the screen."""
    screen = stream.listener
    try:
        stream.feed(data)
    except Exception:
        stream.dropped += 1
        stream._initialize_parser()
    if screen is not None:
        cursor = screen.cursor
        cursor.y = min(max(cursor.y, 0), screen.lines - 1)
        cursor.x = min(max(cursor.x, 0), screen.columns)


class ScrollbackScreen(pyte.Screen):
    """A pyte Screen that keeps the lines scrolling off its top, and draws runs of
    printable ASCII (a console flood, a boot log) without pyte's per-character
    `namedtuple._replace`, which is where pyte spends most of its time."""

    def __init__(self, columns: int, lines: int, history: int = HISTORY_LINES) -> None:
        super().__init__(columns, lines)
        self.history: deque[Line] = deque(maxlen=history)
        self.appended = 0  # lines that ever went into the history (scroll mode's ids)
        self._chars: dict[str, Any] = {}
        self._chars_attrs: Any = None

    def draw(self, data: str) -> None:
        if not (data.isascii() and data.isprintable()) or pyte.modes.IRM in self.mode:
            super().draw(data)
            return
        data = data.translate(self.g1_charset if self.charset else self.g0_charset)
        cursor = self.cursor
        attrs = cursor.attrs
        if attrs is not self._chars_attrs:
            self._chars, self._chars_attrs = {}, attrs
        chars = self._chars
        columns = self.columns
        line = self.buffer[cursor.y]
        for char in data:
            if cursor.x == columns:
                if pyte.modes.DECAWM in self.mode:
                    self.dirty.add(cursor.y)
                    self.carriage_return()
                    self.linefeed()
                    line = self.buffer[cursor.y]
                else:
                    cursor.x -= 1
            made = chars.get(char)
            if made is None:
                made = chars[char] = attrs._replace(data=char)
            line[cursor.x] = made
            cursor.x += 1
        self.dirty.add(cursor.y)

    def index(self) -> None:
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        if self.cursor.y == bottom and top == 0:
            self.history.append(self.buffer[top])
            self.appended += 1
        super().index()
