"""Reading transcripts back: lines with the time they arrived, as plain text.

A transcript is kept byte-exact (`transcript.Transcript`); its index says when
each chunk arrived, and a line arrived with the chunk its first byte came in.
Lines are read across the files size rotation made, oldest first. Plain text is
the bytes with control sequences stripped (CSI, OSC, charset switches, other
control characters but tab), decoded as UTF-8.
"""

from __future__ import annotations

import bisect
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import AnyStr

from lautre_tui.services.console.plaintext import Stripper, plain_text
from lautre_tui.services.console.transcript import (
    INDEX,
    KEEP_ROTATED,
    backlog,
    index_path,
    transcript_path,
)

RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)$")
UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Line:
    when: float  # seconds since the epoch
    raw: bytes  # as received, without its newline

    @property
    def text(self) -> str:
        return plain_text(self.raw)

    def stamp(self) -> str:
        """ISO 8601 in the bastion's zone, to the millisecond."""
        return datetime.fromtimestamp(self.when).astimezone().isoformat(timespec="milliseconds")


def transcript_files(host: str) -> list[Path]:
    """The transcript's files that exist, oldest first."""
    path = transcript_path(host)
    rotated = [path.with_name(f"{path.name}.{n}") for n in range(KEEP_ROTATED + 1, 0, -1)]
    return [p for p in [*rotated, path] if p.exists()]


def read_index(path: Path) -> tuple[list[int], list[float]]:
    try:
        data = index_path(path).read_bytes()
    except OSError:
        return [], []
    data = data[: len(data) - len(data) % INDEX.size]
    offsets: list[int] = []
    times: list[float] = []
    for offset, when in struct.iter_unpack(INDEX.format, data):
        offsets.append(offset)
        times.append(when)
    return offsets, times


def file_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[Line]:
    """The lines of one file from byte `start` (to `end`), each with its arrival
    time (the file's own time for what its index does not cover)."""
    offsets, times = read_index(path)
    try:
        with path.open("rb") as file:
            file.seek(start)
            data = file.read() if end is None else file.read(max(0, end - start))
            fallback = os.fstat(file.fileno()).st_mtime
    except OSError:
        return
    position = start
    for raw in data.split(b"\n"):
        at = bisect.bisect_right(offsets, position) - 1
        when = times[at] if at >= 0 else (times[0] if times else fallback)
        if raw or position < start + len(data):
            yield Line(when, raw.rstrip(b"\r"))
        position += len(raw) + 1


def lines(
    host: str, end: int | None = None, pattern: re.Pattern[str] | None = None
) -> Iterator[Line]:
    """Every line, oldest first (those whose plain text matches `pattern`); the
    current file's only up to byte `end`."""
    files = transcript_files(host)
    for number, path in enumerate(files, 1):
        stop = end if number == len(files) else None
        if pattern is None:
            yield from file_lines(path, 0, stop)
        else:
            yield from file_matches(path, pattern, stop)


def file_matches(path: Path, pattern: re.Pattern[str], end: int | None = None) -> Iterator[Line]:
    """The lines of one file whose plain text matches `pattern`: searched in the
    whole file's plain text at once (a file keeps its lines when made plain), each
    candidate checked on its own line."""
    offsets, times = read_index(path)
    try:
        with path.open("rb") as file:
            data = file.read() if end is None else file.read(end)
            fallback = os.fstat(file.fileno()).st_mtime
    except OSError:
        return
    plain = Stripper().plain(data)
    as_bytes = ascii_pattern(pattern) if plain.isascii() else None
    found = (
        matching_lines(plain, as_bytes, b"\n")
        if as_bytes is not None
        else matching_lines(plain.decode("utf-8", "replace"), pattern, "\n")
    )
    raw_line = raw_start = plain_at = 0
    for start, line_number in found:
        if raw_line < line_number:  # plain text is never longer: jump, then walk the rest
            ahead = raw_start + (start - plain_at)
            skipped = data.count(b"\n", raw_start, ahead)
            if skipped:
                raw_start = data.rfind(b"\n", raw_start, ahead) + 1
                raw_line += skipped
            while raw_line < line_number:
                raw_start = data.index(b"\n", raw_start) + 1
                raw_line += 1
        plain_at = start
        raw_stop = data.find(b"\n", raw_start)
        raw = data[raw_start : len(data) if raw_stop < 0 else raw_stop]
        at = bisect.bisect_right(offsets, raw_start) - 1
        yield Line(times[at] if at >= 0 else (times[0] if times else fallback), raw.rstrip(b"\r"))


def ascii_pattern(pattern: re.Pattern[str]) -> re.Pattern[bytes] | None:
    """`pattern` for bytes, when it is ASCII: on ASCII text it matches the same
    lines (classes and case included), and bytes are searched without decoding
    and faster. None when it is not (or cannot be)."""
    if not pattern.pattern.isascii():
        return None
    try:
        return re.compile(pattern.pattern.encode(), pattern.flags & ~re.UNICODE)
    except re.error:
        return None


PLAIN = frozenset(  # what a regex takes as itself outside a class, a group or an escape
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_:/=,;@%!'\"<>~`#&"
)
MIN_LITERAL = 3


def required_literal(pattern: str) -> str | None:
    """The longest run of plain characters that every match must contain, outside
    any group, class or escape (`\\d{6}00 lautre-tui`: `00 lautre-tui`): lines are
    then found by a plain search for it, as ripgrep does, and the regex runs on
    those lines only. None when the pattern could make it optional (an alternation,
    a class, inline flags) or has no run worth it."""
    if any(mark in pattern for mark in ("|", "[", "(?")):
        return None
    best = run = ""
    depth = index = 0
    while index < len(pattern):
        char = pattern[index]
        if char in PLAIN and depth == 0:
            run += char
        else:
            if char in "?*{" and run:
                run = run[:-1]  # the character before may be optional
            best, run = max(best, run, key=len), ""
            if char == "\\":
                index += 1  # the escaped character is not plain text
            elif char == "{":  # a count: its digits are not text either
                end = pattern.find("}", index)
                index = end if end >= 0 else len(pattern)
            depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    best = max(best, run, key=len)
    return best if len(best) >= MIN_LITERAL else None


def matching_lines(
    text: AnyStr, pattern: re.Pattern[AnyStr], newline: AnyStr
) -> Iterator[tuple[int, int]]:
    """Where each line of `text` matching `pattern` begins, and its number. With a
    literal every match holds, candidates are found by a plain search for it (a
    regex such as `\\d{6}00` tried at every byte of 100 MB took most of a search)."""
    whole = re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
    literal = None
    if not pattern.flags & (re.IGNORECASE | re.VERBOSE):
        literal = required_literal(_as_str(pattern.pattern))
    needle = None if literal is None else _like(newline, literal)

    def candidate(position: int) -> int:
        if needle is not None:
            return text.find(needle, position)
        found = whole.search(text, position)
        return -1 if found is None else found.start()

    line_number = counted = position = 0
    while position < len(text) and (at := candidate(position)) >= 0:
        start = text.rfind(newline, 0, at) + 1
        stop = text.find(newline, at)
        stop = len(text) if stop < 0 else stop
        position = stop + 1
        if pattern.search(text[start:stop]) is None:
            continue  # the match went past the end of its line
        line_number += text.count(newline, counted, start)
        counted = start
        yield start, line_number


def _as_str(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode("latin-1")


def _like(sample: AnyStr, text: str) -> AnyStr:
    """`text` as `sample`'s type (bytes as the pattern's own bytes, latin-1)."""
    if isinstance(sample, bytes):
        return text.encode("latin-1")
    return text


def parse_time(text: str, now: datetime | None = None) -> float:
    """`30m`, `2h`, `45s`, `1d` ago; or a local time `03:12`, `2026-11-25 03:12`,
    `2026-11-25T03:12:00`, with or without a zone. Raises ValueError."""
    now = now or datetime.now().astimezone()
    relative = RELATIVE.match(text.strip())
    if relative:
        return (now - timedelta(seconds=float(relative[1]) * UNITS[relative[2]])).timestamp()
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        clock = datetime.strptime(text.strip(), "%H:%M" if text.count(":") == 1 else "%H:%M:%S")
        moment = now.replace(hour=clock.hour, minute=clock.minute, second=clock.second)
        moment = moment.replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


HISTORY_MARK = "[-- history: what {host} printed before you attached --]"
LIVE_MARK = "[-- live --]"


def replay(host: str, count: int = 24) -> bytes:
    """The last screenful of the transcript as plain lines, marked as history
    (dim), for a console screen opened on a host that printed while nobody watched."""
    tail = backlog(host, 16 * 1024)
    if not tail:
        return b""
    shown = [plain_text(raw.rstrip(b"\r")) for raw in tail.split(b"\n")[1:]]
    shown = [text for text in shown if text.strip()][-count:]
    if not shown:
        return b""
    body = "\r\n".join([HISTORY_MARK.format(host=host), *shown, LIVE_MARK])
    return b"\x1b[0m\x1b[2m" + body.encode() + b"\x1b[0m\r\n"
