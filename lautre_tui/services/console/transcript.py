"""A console's transcript: every byte the port sent, with event lines, rotated by size."""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
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


INDEX = struct.Struct("<Qd")  # where a chunk begins in its file, when it arrived (epoch)


def index_path(path: Path) -> Path:
    """`HOST.log.idx` beside `HOST.log` (`HOST.log.1.idx` beside `HOST.log.1`)."""
    return path.with_name(f"{path.name}.idx")


class Transcript:
    """The append-only record of a console, rotated by size as it grows (a flood
    of hours stays within KEEP_ROTATED + 1 files of ROTATE_BYTES). Written by the
    port's reader thread and by the loop's event lines, hence the lock. Readable
    by the bastion's admin group only: root's console output is no one else's.

    Beside it, its index says when each chunk arrived (its offset and the time):
    a line arrived with the chunk its first byte came in (see `history`)."""

    def __init__(
        self,
        host: str,
        rotate_bytes: int = ROTATE_BYTES,
        tap: Callable[[bytes], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = transcript_path(host)
        self._tap = tap  # the spies' stream: every byte, in the transcript's order
        self._clock = clock  # for the index
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
        self._index = os.open(
            index_path(self.path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, TRANSCRIPT_MODE
        )
        return file

    def _rotate(self) -> None:
        for index in range(KEEP_ROTATED - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            newer = self.path.with_name(f"{self.path.name}.{index + 1}")
            if older.exists():
                older.replace(newer)
            with contextlib.suppress(FileNotFoundError):
                index_path(older).replace(index_path(newer))
        first = self.path.with_name(f"{self.path.name}.1")
        self.path.replace(first)
        with contextlib.suppress(FileNotFoundError):
            index_path(self.path).replace(index_path(first))

    def write(self, data: bytes) -> None:
        with self._lock:
            os.write(self._index, INDEX.pack(self._size, self._clock()))
            self._file.write(data)
            self._size += len(data)
            if self._tap is not None:
                self._tap(data)
            if self._size >= self.rotate_bytes:
                self._close_files()
                self._rotate()
                self._file = self._open()

    def event(self, text: str) -> bytes:
        line = f"\r\n[-- {text} --]\r\n".encode()
        self.write(line)
        return line

    def _close_files(self) -> None:
        self._file.close()
        os.close(self._index)

    def close(self) -> None:
        with self._lock:
            self._close_files()


def save_selection(host: str, text: str) -> Path:
    """Lines copied from a console's scrollback, in a file of the state folder
    (readable by the admin group only, as the transcript)."""
    folder = consoles_dir() / "selections"
    locations.private_dir(folder)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{host}-{stamp}.txt"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{host}-{stamp}-{number}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, TRANSCRIPT_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    return path
