"""VT100 line drawing for pyte's UTF-8 mode.

pyte ignores charset switching (`ESC ( 0`, SO/SI) when it decodes UTF-8, yet
ncurses on a serial getty (TERM=vt100) draws its boxes that way. This filter
turns the bytes of a DEC special-graphics region into their UTF-8 box-drawing
characters before pyte sees them, keeping UTF-8 text intact everywhere else.
"""

from __future__ import annotations

from pyte.charsets import VT100_MAP

GRAPHICS = {
    byte: VT100_MAP[byte].encode("utf-8")
    for byte in range(0x5F, 0x7F)
    if chr(byte) != VT100_MAP[byte]
}
ESC, SO, SI = 0x1B, 0x0E, 0x0F


class LineDrawing:
    """Stateful across chunks: a sequence may be split between two reads."""

    def __init__(self) -> None:
        self.g0_graphics = False
        self.g1_graphics = False
        self.shifted = False  # SO selected G1
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        data = self._pending + data
        self._pending = b""
        if ESC not in data and not self.g0_graphics and not self.g1_graphics:
            return data  # the common case: nothing to translate
        out = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if byte == ESC and i + 1 < len(data) and data[i + 1] in b"()":
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                graphics = data[i + 2] == ord("0")
                if data[i + 1] == ord("("):
                    self.g0_graphics = graphics
                else:
                    self.g1_graphics = graphics
                i += 3
                continue
            if byte == ESC and i + 1 == len(data):
                self._pending = data[i:]
                break
            if byte in (SO, SI):
                self.shifted = byte == SO
                i += 1
                continue
            active = self.g1_graphics if self.shifted else self.g0_graphics
            out += GRAPHICS.get(byte, bytes((byte,))) if active else bytes((byte,))
            i += 1
        return bytes(out)
