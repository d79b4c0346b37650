"""`lautre-tui transcript --grep` over a large transcript: seconds per search.

Writes a transcript of N MB (default 100) through `Transcript` itself, in
64 kB chunks as the port's reader hands them (so with its index), of console
lines with colours, a title and a few rare lines, either in one file or in the
files size rotation makes (`--rotate-megabytes`). Then runs the real command
in a process of its own, as an admin would (start-up included), for a pattern
matching a handful of lines, one matching one line in 100, one matching none,
and with --timestamps; output goes to /dev/null. Each search is run 3 times:
the median and the slowest are printed.
Run: `.venv/bin/python benchmarks/console_transcript.py [--megabytes 100]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lautre_tui.services.console.transcript import Transcript

HOST = "eva"
CHUNK = 64 * 1024
SEARCHES = {
    "rare (a few lines)": ["--grep", r"kernel panic"],
    "1 line in 100": ["--grep", r"\d{6}00 lautre-tui"],
    "none": ["--grep", r"no such words here"],
    "1 in 100, --timestamps": ["--grep", r"\d{6}00 lautre-tui", "--timestamps"],
}


def console_text(size: int) -> bytes:
    """`size` bytes of what a console prints: coloured prompts, a title, a rare line."""
    lines = []
    for n in range(100_000):
        if n % 1000 == 0:
            lines.append(b"\x1b]0;root@eva: ~\x07\x1b[1;32mroot@eva\x1b[0m:~# dmesg\r\n")
        lines.append(b"%08d lautre-tui console flood 0123456789 \x1b[33mabcdef\x1b[0m\r\n" % n)
    lines.append(b"[ 1234.5678] kernel panic - not syncing: a rare line\r\n")
    block = b"".join(lines)
    return (block * (size // len(block) + 1))[:size]


def write_transcript(size: int, rotate: int) -> None:
    data = console_text(size)
    stamps = iter(range(len(data) // CHUNK + 2))
    transcript = Transcript(HOST, rotate_bytes=rotate, clock=lambda: 1.7e9 + next(stamps) * 0.01)
    for start in range(0, len(data), CHUNK):
        transcript.write(data[start : start + CHUNK])
    transcript.close()


def search(arguments: list[str]) -> tuple[float, int]:
    """Seconds for one run of the command, and the lines it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lautre_tui", "transcript", HOST, *arguments],
        stdout=subprocess.PIPE,
        check=True,
    )
    return time.perf_counter() - started, done.stdout.count(b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=100.0)
    parser.add_argument(
        "--rotate-megabytes",
        type=float,
        default=0.0,
        help="rotate at this size (0: one file; the default rotation keeps at most 80 MB)",
    )
    args = parser.parse_args()
    mb = 1024 * 1024
    size = int(args.megabytes * mb)
    rotate = int(args.rotate_megabytes * mb) or size + 1
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LAUTRE_TUI_STATE_DIR"] = str(Path(folder) / "state")
        write_transcript(size, rotate)
        files = sorted((Path(folder) / "state" / "consoles").glob(f"{HOST}.log*"))
        kept = sum(path.stat().st_size for path in files if not path.name.endswith(".idx"))
        print(
            f"transcript --grep over {kept / mb:g} MB "
            f"({sum(not p.name.endswith('.idx') for p in files)} files)"
        )
        for name, arguments in SEARCHES.items():
            runs = [search(arguments) for _ in range(3)]
            seconds = [elapsed for elapsed, _count in runs]
            print(
                f"  {name:24} median {statistics.median(seconds):5.2f} s, "
                f"slowest {max(seconds):5.2f} s; {runs[0][1]} lines"
            )


if __name__ == "__main__":
    main()
