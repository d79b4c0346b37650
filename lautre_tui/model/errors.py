"""Positions in a layout file and the errors that point at them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


class Position(NamedTuple):
    """1-based line and column, as editors and `FILE:LINE:COL` tools expect. A named
    tuple: a layout holds one per value (10,000 for 1000 devices), and the cached
    layout unpickles them at C speed, not through a dataclass's `__setstate__`."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NOWHERE = Position("<built-in>", 0, 0)  # what the app builds itself, not read from a file


@dataclass(frozen=True, slots=True)
class LayoutError:
    """One problem in a layout; every problem is collected, never only the first."""

    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


class LayoutLoadError(Exception):
    """Raised when a layout cannot be used at all; carries every error found."""

    def __init__(self, errors: list[LayoutError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` when a close choice exists, else the list of choices."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (expected one of: {', '.join(options)})"
