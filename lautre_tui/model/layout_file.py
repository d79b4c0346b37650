"""What reading a layout file gives, and the reading itself: no YAML here, so that a
layout taken from the cache (`layout_cache.py`) never imports PyYAML."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from lautre_tui.model.errors import LayoutError, Position
from lautre_tui.model.layout import Layout

MAX_LAYOUT_BYTES = 16 * 1024 * 1024  # a layout of 10,000 devices is about 3 MB


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a layout file gave: the layout built from every valid part, and the errors."""

    layout: Layout | None
    errors: list[LayoutError]
    broken: frozenset[str] = frozenset()  # declared names whose entry had errors
    warnings: tuple[LayoutError, ...] = ()  # printed, never a reason to refuse the layout

    @property
    def ok(self) -> bool:
        return self.layout is not None and not self.errors


def read_file(path: Path, limit: int = MAX_LAYOUT_BYTES) -> bytes:
    """A regular file's bytes: a FIFO would hang the reader and `/dev/zero` would fill
    memory, so anything but a regular file of sane size is refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // (1024 * 1024)} MB: not a layout")
    return data


def read_text_file(path: Path, limit: int = MAX_LAYOUT_BYTES) -> str:
    """A regular file's UTF-8 text (see `read_file`)."""
    return read_file(path, limit).decode("utf-8")


def unreadable(file: str, error: Exception) -> LoadResult:
    """The result for a layout that could not be read (missing, not UTF-8, a FIFO…)."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return LoadResult(None, [LayoutError(Position(file, 1, 1), f"cannot read: {reason}")])
