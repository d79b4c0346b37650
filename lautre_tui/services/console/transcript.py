"""A console's transcript: every byte the port sent, with event lines, rotated by size."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from lautre_tui import locations

ROTATE_BYTES = 20 * 1024 * 1024
TRANSCRIPT_MODE = 0o640
KEEP_ROTATED = 3


def backlog(host: str, size: int = 64 * 1024) -> bytes:
    """The end of a console's transcript, to repaint a console screen reopened."""
    try:
        with transcript_path(host).open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - size))
            return file.read()
    except OSError:
        return b""


def consoles_dir() -> Path:
    return locations.state_dir() / "consoles"


def transcript_path(host: str) -> Path:
    return consoles_dir() / f"{host}.log"


class Transcript:
    """The append-only record of a console, rotated by size as it grows (a flood
    of hours stays within KEEP_ROTATED + 1 files of ROTATE_BYTES). Written by the
    port's reader thread and by the loop's event lines, hence the lock. Readable
    by the bastion's admin group only: root's console output is no one else's."""

    def __init__(
        self,
        host: str,
        rotate_bytes: int = ROTATE_BYTES,
        tap: Callable[[bytes], None] | None = None,
    ) -> None:
        self.path = transcript_path(host)
        self._tap = tap  # the spies' stream: every byte, in the transcript's order
        locations.private_dir(self.path.parent)
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._file = self._open()

    def _open(self) -> BinaryIO:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, TRANSCRIPT_MODE)
        file = os.fdopen(fd, "ab", buffering=0)
        self._size = os.fstat(fd).st_size
        if self._size >= self.rotate_bytes:
            file.close()
            self._rotate()
            return self._open()
        return file

    def _rotate(self) -> None:
        for index in range(KEEP_ROTATED - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def write(self, data: bytes) -> None:
        with self._lock:
            self._file.write(data)
            self._size += len(data)
            if self._tap is not None:
                self._tap(data)
            if self._size >= self.rotate_bytes:
                self._file.close()
                self._rotate()
                self._file = self._open()

    def event(self, text: str) -> bytes:
        line = f"\r\n[-- {text} --]\r\n".encode()
        self.write(line)
        return line

    def close(self) -> None:
        with self._lock:
            self._file.close()
