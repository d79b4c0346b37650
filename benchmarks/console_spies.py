"""One writer and headless spies on one console: same bytes, spy lag, writer speed.

Against the lab's socket:// port of elea: the writer (a ConsoleSession in this
process, no screen) logs in and floods N bytes, once alone and once with S spies
(each a process of its own running the spy side of the protocol, no screen).
Printed: every spy's sha256 of the flood against the source's; the spies' lag
(from the writer recording a byte in the transcript, which feeds the spies, to a
spy receiving it: CLOCK_MONOTONIC is one clock for every process), median and
p99; the writer's throughput with spies against alone; and the CPU time each
process spent during the flood (its threads' own account in /proc, which other
work on the machine does not change, unlike the throughput), per MB.
Run: `.venv/bin/python benchmarks/console_spies.py [--megabytes 5] [--spies 5] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lautre_tui.lab.serial_device import flood_sha256
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.console import ConsoleSession, ConsoleTarget

DEVICE = "elea"
START = b"00000000 lautre-tui console flood"
END = b"flood sha256"


def url_of(layout_path: Path) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from console import urls  # the console benchmark's own lab URLs

    return urls(layout_path)["socket"]


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of `pid` so far (the kernel's own account, in ns):
    what a process costs does not depend on what else shares the cores."""
    total = 0
    for thread in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/task/{thread}/schedstat").read_text().split()[0])
    return total / 1e9


class Record:
    """What a spy received, copied into a buffer allocated (and faulted in)
    before the flood, so that recording it costs a copy and no fresh memory
    (a real spy feeds a screen, not a record), and when each piece arrived.
    `ended` is set, from whichever thread records, once the flood's checksum line
    is in: nobody polls for it while the flood is measured."""

    SLACK = 1024 * 1024  # the login before the flood, its checksum line after

    def __init__(self, size: int) -> None:
        self.size = size
        self.ended = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self.received = bytearray(size + self.SLACK)
        self.count = 0  # bytes received
        self.start = -1  # where the flood began, once seen
        self.marks: list[tuple[int, float]] = []

    def got(self, data: bytes | memoryview) -> None:
        end = self.count + len(data)
        if end > len(self.received):
            self.received.extend(bytes(end - len(self.received)))
        self.received[self.count : end] = data
        if self.start < 0 and (at := self.received.find(START, 0, end)) >= 0:
            self.start = at
        self.count = end
        self.marks.append((end, time.monotonic()))
        flood_end = self.start + self.size
        if self.start >= 0 and end > flood_end and self.received.find(END, flood_end, end) >= 0:
            self._loop.call_soon_threadsafe(self.ended.set)

    def sha256(self) -> str:
        return hashlib.sha256(self.received[self.start : self.start + self.size]).hexdigest()


async def spy(url: str, size: int) -> None:
    """A spy process: the flood's sha256 and when each piece came, until the
    flood's checksum line."""
    session = ConsoleSession(ConsoleTarget(DEVICE, url, 9600, ConsoleProtocol.RAW), read_only=True)
    record = Record(size)
    behind = False  # the spy fell a ring behind: it missed bytes, said, not waited for

    def status(text: str) -> None:
        nonlocal behind
        if "could not keep up" in text:
            behind = True
            record.ended.set()

    session.subscribe(record.got, status)
    await session.attach()
    print("ready", flush=True)
    await record.ended.wait()
    await session.detach()
    result = {
        "start": record.start,
        "marks": record.marks if not behind else [],
        "sha256": record.sha256() if not behind else "",
        "behind": behind,
    }
    print(json.dumps(result), flush=True)


async def writer(url: str, size: int, spies: int, lab: int) -> dict[str, Any]:
    session = ConsoleSession(ConsoleTarget(DEVICE, url, 9600, ConsoleProtocol.RAW))
    await session.attach()
    record = Record(size)  # what the transcript's tap got: the spies' source
    server = session._server  # measuring where the spies are fed: the transcript's tap
    assert server is not None and session.transcript is not None
    feed = server.tap

    def tap(data: bytes) -> None:
        record.got(data)
        feed(data)

    session.transcript._tap = tap
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--spy-of",
            url,
            "--spy-size",
            str(size),
            stdout=subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        for _ in range(spies)
    ]
    for child in children:
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"ready"
    await asyncio.sleep(0.3)  # the spies' hellos are in
    session.send(b"\rroot\rpw\r")
    await asyncio.sleep(0.5)
    pids = [os.getpid(), lab, *(child.pid for child in children)]
    cpu = [cpu_seconds(pid) for pid in pids]
    started = time.monotonic()
    session.send(b"flood %d\r" % size)
    await record.ended.wait()
    cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu, strict=True)]
    start, marks = record.start, record.marks
    done = marks[bisect.bisect_left([m[0] for m in marks], start + size)][1]
    expected = flood_sha256(size)
    lags: list[float] = []
    same = behind = 0
    for child in children:
        assert child.stdout is not None
        result = json.loads(await child.stdout.readline())
        await child.wait()
        same += result["sha256"] == expected
        behind += result["behind"]
        ends = [m[0] - start for m in marks]
        for end, when in result["marks"]:
            relative = end - result["start"]
            if 0 < relative <= size:
                at = bisect.bisect_left(ends, relative)
                lags.append((when - marks[min(at, len(marks) - 1)][1]) * 1000)
    await session.detach()
    intact = record.sha256() == expected
    return {
        "rate": size / (done - started),
        "same": same,
        "behind": behind,
        "intact": float(intact),
        "lags": lags,
        "cpu_writer": cpu[0],
        "cpu_lab": cpu[1],
        "cpu_spy": statistics.median(cpu[2:]) if spies else 0.0,
        "cpu_spy_max": max(cpu[2:], default=0.0),
    }


def median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(result[key] for result in results))


def report(
    size: int, spies: int, alone: list[dict[str, Any]], shared: list[dict[str, Any]]
) -> None:
    """Medians over the rounds: one flood of a few tens of milliseconds is at the
    mercy of a single scheduling delay on a small machine, so the ratio is each
    round's (alone, then with the spies, one after the other) and its median."""
    mb = 1024 * 1024
    ratios = [
        with_spies["rate"] / by_itself["rate"]
        for by_itself, with_spies in zip(alone, shared, strict=True)
    ]
    print(
        f"socket:// flood of {size / mb:g} MB, writer and {spies} headless spies, "
        f"{len(ratios)} rounds"
    )
    print(f"  writer alone            {median(alone, 'rate') / mb:6.2f} MB/s (median)")
    print(
        f"  writer with the spies   {median(shared, 'rate') / mb:6.2f} MB/s (median) = "
        f"{statistics.median(ratios):.2f}x alone (median of the rounds: "
        f"{' '.join(f'{ratio:.2f}' for ratio in ratios)})"
    )
    print(f"  transcript intact in every round: {all(result['intact'] for result in shared)}")
    print(
        f"  spies with the flood's sha256: {sum(r['same'] for r in shared):.0f} "
        f"of {spies * len(shared)}"
        f" ({sum(r['behind'] for r in shared):.0f} fell a ring behind, said so and joined again)"
    )
    lags = sorted(lag for result in shared for lag in result["lags"])
    if lags:
        print(
            f"  spy lag: median {statistics.median(lags):.1f} ms, "
            f"p99 {lags[max(0, int(len(lags) * 0.99) - 1)]:.1f} ms, max {lags[-1]:.1f} ms"
        )
    per_mb = 1e3 * mb / size  # seconds of CPU for the flood -> ms per MB
    print(
        f"  CPU during the flood, ms per MB (medians): writer alone "
        f"{median(alone, 'cpu_writer') * per_mb:.1f}, with the spies "
        f"{median(shared, 'cpu_writer') * per_mb:.1f}; "
        f"each spy {median(shared, 'cpu_spy') * per_mb:.1f} "
        f"(max {max(r['cpu_spy_max'] for r in shared) * per_mb:.1f}); the lab's device "
        f"{median(shared, 'cpu_lab') * per_mb:.1f}"
    )
    print(f"  load average at the end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--spies", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="floods alone, then with the spies")
    parser.add_argument("--spy-of", help=argparse.SUPPRESS)
    parser.add_argument("--spy-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spy_of:
        asyncio.run(spy(args.spy_of, args.spy_size))
        return
    size = int(args.megabytes * 1024 * 1024)
    alone: list[dict[str, Any]] = []
    shared: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LAUTRE_TUI_STATE_DIR"] = str(Path(folder) / "state")
        lab = subprocess.Popen(
            [sys.executable, "-m", "lautre_tui", "lab", "--dir", str(Path(folder) / "lab")],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert lab.stdout is not None and lab.stdout.readline().startswith("lab ready")
            url = url_of(Path(folder) / "lab" / "layout.yaml")
            asyncio.run(writer(url, size, 0, lab.pid))  # not counted: the lab makes its flood
            for _ in range(args.rounds):
                alone.append(asyncio.run(writer(url, size, 0, lab.pid)))
                shared.append(asyncio.run(writer(url, size, args.spies, lab.pid)))
        finally:
            lab.terminate()
            lab.wait(30)
    report(size, args.spies, alone, shared)


if __name__ == "__main__":
    main()
