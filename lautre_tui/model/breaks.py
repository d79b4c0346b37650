"""Named break sequences of a console server (`consoles.NAME.breaks`), as conserver's.

A sequence is written as conserver's `break` string: text sent as is, `\\z` a real
BREAK on the line, `\\d` a pause of the sequence's `delay` (milliseconds, 250 by
default), C escapes (`\\r`, `\\n`, `\\t`, `\\a`, `\\b`, `\\f`, `\\v`, `\\\\`, `\\'`,
`\\"`, `\\^`, octal `\\ooo`) and `^X` for a control character (`^b` is Ctrl-B,
`^?` DEL). Sun's alternate break is `\\r~^b`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lautre_tui.model import schema as k
from lautre_tui.model.errors import NOWHERE, Position

MAX_BREAKS = 9  # escape menu keys 1 to 9
DEFAULT_DELAY_MS = 250  # conserver's
ESCAPES = {
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "v": b"\v",
    "\\": b"\\",
    "'": b"'",
    '"': b'"',
    "^": b"^",
}


@dataclass(frozen=True, slots=True)
class Pause:
    """A `\\d`: wait before what follows."""

    seconds: float


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A `\\z`: a real BREAK on the line (as the escape menu's `b`)."""


Step = bytes | Pause | LineBreak


@dataclass(frozen=True, slots=True)
class BreakSequence:
    """One named sequence: what the escape menu offers, and what it sends (`steps`,
    read from `sequence` by the loader)."""

    name: str = field(metadata=k.text("what the escape menu calls it", required=True))
    sequence: str = field(
        metadata=k.text(
            "conserver's break string: text, `\\z` a BREAK, `\\d` a pause, `^X` a control "
            "character, C escapes (`\\r`, `\\ooo`…)",
            required=True,
        )
    )
    confirm: bool = field(
        default=False, metadata=k.boolean("ask for its key a second time (within 3 s) first")
    )
    delay: int = field(
        default=DEFAULT_DELAY_MS, metadata=k.integer("milliseconds of each `\\d`", 0, 10_000)
    )
    steps: tuple[Step, ...] = ()
    position: Position = NOWHERE

    @property
    def has_line_break(self) -> bool:
        return any(isinstance(step, LineBreak) for step in self.steps)


def parse_sequence(text: str, delay: float = DEFAULT_DELAY_MS / 1000) -> tuple[Step, ...]:
    """The steps of a conserver break string; ValueError says what is wrong."""
    steps: list[Step] = []
    data = bytearray()

    def cut(step: Step) -> None:
        if data:
            steps.append(bytes(data))
            data.clear()
        steps.append(step)

    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if char == "^":
            if i == len(text):
                raise ValueError("a ^ ends the sequence: write \\^ for a caret")
            letter = text[i].upper()
            i += 1
            if letter == "?":
                data.append(0x7F)
            elif "@" <= letter <= "_":
                data.append(ord(letter) - 0x40)
            else:
                raise ValueError(f"^{text[i - 1]} is not a control character (^@ to ^_, ^?)")
        elif char != "\\":
            data += char.encode("utf-8")
        elif i == len(text):
            raise ValueError("a \\ ends the sequence: write \\\\ for a backslash")
        else:
            escape = text[i]
            i += 1
            if escape == "z":
                cut(LineBreak())
            elif escape == "d":
                cut(Pause(delay))
            elif escape in ESCAPES:
                data += ESCAPES[escape]
            elif escape in "01234567":
                digits = escape
                while len(digits) < 3 and i < len(text) and text[i] in "01234567":
                    digits += text[i]
                    i += 1
                if int(digits, 8) > 0xFF:
                    raise ValueError(f"\\{digits} is more than a byte")
                data.append(int(digits, 8))
            else:
                raise ValueError(f"unknown escape \\{escape} (\\z BREAK, \\d delay, \\r, \\n…)")
    if data:
        steps.append(bytes(data))
    if not steps:
        raise ValueError("the sequence sends nothing")
    return tuple(steps)
