"""Named break sequences of a console server (`consoles.NAME.breaks`), as conserver's.

A sequence is written as conserver's `break` string: text sent as is, `\\z` a real
BREAK on the line, `\\d` a pause of the sequence's `delay` (milliseconds, 250 by
default), C escapes (`\\r`, `\\n`, `\\t`, `\\a`, `\\b`, `\\f`, `\\v`, `\\\\`, `\\'`,
`\\"`, `\\^`, octal `\\ooo`) and `^X` for a control character (`^b` is Ctrl-B,
`^?` DEL). Sun's alternate break is `\\r~^b`. Kept apart from the loader so that
the layout's schema can take it as it is: `read_breaks` needs only the few
node-reading methods every layout reader has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import yaml

from lautre_tui.model.errors import Position

NOWHERE = Position("<built-in>", 0, 0)
MAX_BREAKS = 9  # escape menu keys 1 to 9
DEFAULT_DELAY_MS = 250  # conserver's
BREAK_KEYS = ("name", "sequence", "confirm", "delay")
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
    """One named sequence: what the escape menu offers, and what it sends."""

    name: str
    text: str  # as written in the layout, for the menu and the audit
    steps: tuple[Step, ...]
    confirm: bool = False
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


class NodeReader(Protocol):
    """What `read_breaks` needs of the layout's reader (see `loader._Reader`)."""

    def position(self, node: yaml.Node) -> Position: ...
    def error(self, node: yaml.Node, message: str) -> None: ...
    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]: ...
    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]: ...
    def string(self, node: yaml.Node, what: str) -> str | None: ...
    def boolean(self, node: yaml.Node, what: str) -> bool | None: ...
    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None: ...


def read_breaks(reader: NodeReader, node: yaml.Node, what: str) -> tuple[BreakSequence, ...]:
    """`breaks:` of a console server: a list of {name, sequence, confirm, delay};
    each mistake is an error at its node, and its entry is left out."""
    items = reader.sequence(node, f"{what}.breaks")
    if len(items) > MAX_BREAKS:
        reader.error(items[MAX_BREAKS], f"{what}.breaks: at most {MAX_BREAKS} (menu keys 1-9)")
    found: list[BreakSequence] = []
    named: set[str] = set()
    for item in items[:MAX_BREAKS]:
        entries = reader.mapping(item, f"{what}.breaks item", BREAK_KEYS)
        for key in ("name", "sequence"):
            if key not in entries:
                reader.error(item, f"{what}.breaks item: missing required key {key!r}")
        if "name" not in entries or "sequence" not in entries:
            continue
        name = reader.string(entries["name"][1], f"{what}.breaks name")
        text = reader.string(entries["sequence"][1], f"{what}.breaks sequence")
        confirm = (
            reader.boolean(entries["confirm"][1], f"{what}.breaks confirm")
            if ("confirm" in entries)
            else False
        )
        delay: int | None = DEFAULT_DELAY_MS
        if "delay" in entries:
            delay = reader.integer(entries["delay"][1], f"{what}.breaks delay (ms)", 0, 10_000)
        if name in named:
            reader.error(entries["name"][1], f"{what}.breaks: {name!r} is named twice")
            continue
        if name is not None:
            named.add(name)
        if name is None or text is None or confirm is None or delay is None:
            continue
        try:
            steps = parse_sequence(text, delay / 1000)
        except ValueError as error:
            reader.error(entries["sequence"][1], f"{what}.breaks {name}: {error}")
            continue
        found.append(BreakSequence(name, text, steps, confirm, reader.position(item)))
    return tuple(found)
