"""`lautre-tui transcript HOST`: a console's transcript as plain text, with times.

Reads the state folder only (the transcript, the files size rotation made and
their index); contacts no console server.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lautre_tui.services.console.history import Line


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "transcript",
        help="print a console's transcript as plain text (with when each line arrived)",
        description="Print what HOST's console printed, from its transcript and the files "
        "rotation made, oldest first: plain text (control sequences stripped) or --raw. "
        "TIME is 30m, 2h, 45s or 1d ago, or a local time: 03:12, 2026-11-25 03:12.",
    )
    parser.add_argument("host", metavar="HOST")
    parser.add_argument("--since", metavar="TIME", help="lines that arrived from then on")
    parser.add_argument("--until", metavar="TIME", help="lines that arrived until then")
    parser.add_argument("--grep", metavar="RE", help="only lines matching RE (Python regex)")
    parser.add_argument("--follow", action="store_true", help="keep printing lines as they arrive")
    parser.add_argument(
        "--timestamps", action="store_true", help="each line after its ISO 8601 local time"
    )
    parser.add_argument("--raw", action="store_true", help="the bytes as received")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lautre_tui.services.console import history

    try:
        since = history.parse_time(args.since) if args.since else None
        until = history.parse_time(args.until) if args.until else None
        pattern = re.compile(args.grep) if args.grep else None
    except (ValueError, re.error) as error:
        print(f"lautre-tui transcript: {error}", file=sys.stderr)
        return 2
    files = history.transcript_files(args.host)
    if not files:
        print(f"lautre-tui transcript: no transcript of {args.host}", file=sys.stderr)
        return 1
    out = sys.stdout.buffer

    def show(line: Line) -> None:
        if since is not None and line.when < since:
            return
        if until is not None and line.when > until:
            return
        text = line.text
        if pattern is not None and not pattern.search(text):
            return
        stamp = f"{line.stamp()} ".encode() if args.timestamps else b""
        out.write(stamp + (line.raw if args.raw else text.encode()) + b"\n")

    current = files[-1].stat()  # what --follow goes on from
    try:
        end = current.st_size if args.follow else None
        for line in history.lines(args.host, end, pattern):
            show(line)
        out.flush()
        if args.follow:
            follow(args.host, show, current.st_ino, current.st_size)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


def follow(host: str, show: Callable[[Line], None], inode: int, offset: int) -> None:
    """Lines as they arrive after `offset` of the file `inode`: whole lines only,
    through rotation."""
    from lautre_tui.services.console import history, transcript_path

    path = transcript_path(host)
    while True:
        time.sleep(0.2)
        try:
            now = path.stat()
        except FileNotFoundError:
            continue
        if now.st_ino != inode:  # rotated: the rest of the old file, the newer ones, then it
            older = history.transcript_files(host)[:-1]
            inodes = [p.stat().st_ino for p in older]
            start = inodes.index(inode) if inode in inodes else len(older)
            for number, rotated in enumerate(older[start:]):
                for line in history.file_lines(rotated, offset if number == 0 else 0):
                    show(line)
            inode, offset = now.st_ino, 0
        if now.st_size <= offset:
            continue
        with path.open("rb") as file:
            file.seek(offset)
            data = file.read()
        end = data.rfind(b"\n") + 1
        if end:
            for line in history.file_lines(path, offset, offset + end):
                show(line)
            offset += end
        sys.stdout.flush()
