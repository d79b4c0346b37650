"""Console throughput and keystroke echo, side by side on the same lab ports.

For socket:// and rfc2217://, a lab device floods N bytes (`flood N`, which ends
with the sha256 of what it sent) through:
  - floor: pyserial's own read loop (read(4096) until the end), no display;
  - miniterm: pyserial's terminal, under a pty, printing to it;
  - ours: ConsoleSession + pyte with scrollback + the TerminalView, headless,
    with the transcript checked against the source's sha256.
Then keystroke echo latency through our session, idle and during a flood.
The same floor and ours (not miniterm) through Debian's real ser2net (RFC 2217
and raw TCP accepters, a socat pty pair and a host that floods the same bytes:
tests/ser2net_helpers.py), when ser2net and socat are installed; pyserial's
floor needs `?ign_set_control` there, ours opens the plain URL.
Run: `.venv/bin/python benchmarks/console.py [--megabytes 20]`. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import select
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import serial
from textual.app import App, ComposeResult

from lautre_tui.backends.tolerant_rfc2217 import with_ign_set_control
from lautre_tui.lab.serial_device import flood, flood_sha256
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.model.loader import load_layout
from lautre_tui.services.console import ConsoleSession, ConsoleTarget, transcript_path
from lautre_tui.ui.terminal import TerminalView

if TYPE_CHECKING:
    from tests.ser2net_helpers import Ser2net

DEVICE = "elea"
LOGIN = b"\rroot\rpw\r"


def urls(layout_path: Path) -> dict[str, str]:
    layout = load_layout(layout_path).layout
    assert layout is not None
    port = layout.devices[DEVICE].console
    assert port is not None
    return {
        "socket": layout.consoles["console-raw"].url_for(port.port),
        "rfc2217": layout.consoles["console"].url_for(port.port),
    }


def ser2net_urls(server: Ser2net) -> dict[str, str]:
    """The URLs of the ser2net started by `tests/ser2net_helpers.running_ser2net`."""
    return {
        "ser2net-rfc2217": f"rfc2217://127.0.0.1:{server.ports['rfc2217']}",
        "ser2net-raw": f"socket://127.0.0.1:{server.ports['raw']}",
    }


def floor(url: str, size: int) -> float:
    """pyserial alone: log in, flood, read until the checksum line."""
    port = serial.serial_for_url(with_ign_set_control(url), baudrate=9600, timeout=0.05)
    try:
        port.write(LOGIN)
        time.sleep(0.5)
        port.reset_input_buffer()
        while port.read(4096):
            pass
        end = b"flood sha256"
        started = time.perf_counter()
        port.write(b"flood %d\r" % size)
        seen = b""
        while end not in seen[-200:]:
            seen += port.read(4096)
        return size / (time.perf_counter() - started)
    finally:
        port.close()


def floor_echo(url: str, count: int = 50) -> list[float]:
    """pyserial alone: milliseconds from a keystroke to its echo, one key at a time."""
    port = serial.serial_for_url(with_ign_set_control(url), baudrate=9600, timeout=0.001)
    try:
        port.write(b"\r")
        deadline = time.monotonic() + 5
        while b"login: " not in port.read(4096) and time.monotonic() < deadline:
            pass
        times: list[float] = []
        for n in range(count):
            key = b"abcdefghij"[n % 10 : n % 10 + 1]
            started = time.perf_counter()
            port.write(key)
            seen = b""
            while key not in seen:
                seen += port.read(1)
            times.append((time.perf_counter() - started) * 1000)
        port.write(b"\x15")
        return times
    finally:
        port.close()


def miniterm(url: str, size: int) -> float:
    """pyserial's miniterm in a pty: its throughput to a terminal."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(
            sys.executable,
            [sys.executable, "-m", "serial.tools.miniterm", "--raw", "-q", url, "9600"],
        )
    try:
        time.sleep(1.0)
        os.write(fd, LOGIN)
        time.sleep(0.5)
        while select.select([fd], [], [], 0.2)[0]:
            os.read(fd, 65536)
        started = time.perf_counter()
        os.write(fd, b"flood %d\r" % size)
        seen = b""
        while b"flood sha256" not in seen[-300:]:
            if select.select([fd], [], [], 10)[0]:
                seen += os.read(fd, 65536)
            else:
                raise TimeoutError("miniterm stalled")
        return size / (time.perf_counter() - started)
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


class Viewer(App[None]):
    def compose(self) -> ComposeResult:
        yield TerminalView()


async def ours(url: str, protocol: ConsoleProtocol, size: int) -> dict[str, float]:
    session = ConsoleSession(ConsoleTarget(DEVICE, url, 9600, protocol))
    received = bytearray()
    app = Viewer()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(TerminalView)

        def shown(data: bytes | memoryview) -> None:
            received.extend(data)
            view.feed(data)

        session.subscribe(shown, lambda _status: None)
        await session.attach()
        session.send(LOGIN)
        await asyncio.sleep(0.8)
        received.clear()
        started = time.perf_counter()
        session.send(b"flood %d\r" % size)
        while b"flood sha256" not in received[-300:]:
            await asyncio.sleep(0.005)
        view.flush_now()  # the clock stops once pyte has parsed it all, not on arrival
        elapsed = time.perf_counter() - started
        idle = await echoes(session, received, 100)
        session.send(b"flood %d\r" % size)
        await asyncio.sleep(0.3)
        busy = await echoes(session, received, 50)
        await pilot.pause()
        await session.detach()
    expected = flood_sha256(size)
    intact = flood(size) in transcript_path(DEVICE).read_bytes()
    return {
        "rate": size / elapsed,
        "intact": float(intact),
        "sha": float(expected != ""),
        "idle_median": statistics.median(idle),
        "idle_p99": _p99(idle),
        "flood_median": statistics.median(busy),
        "flood_p99": _p99(busy),
        "lines_kept": float(len(view.screen_buffer.history)),
    }


async def echoes(session: ConsoleSession, received: bytearray, count: int) -> list[float]:
    """Milliseconds from a keystroke to its echo, one key at a time."""
    times: list[float] = []
    for n in range(count):
        key = b"abcdefghij"[n % 10 : n % 10 + 1]
        mark = len(received)
        started = time.perf_counter()
        session.send(key)
        while key not in received[mark:]:
            await asyncio.sleep(0.0002)
        times.append((time.perf_counter() - started) * 1000)
    session.send(b"\x15")  # Ctrl-U: clear the typed line
    return times


def _p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=20.0, help="socket:// flood")
    parser.add_argument(
        "--miniterm-megabytes",
        type=float,
        default=1.0,
        help="miniterm's flood (it reads socket:// a byte at a time: 20 MB takes minutes)",
    )
    parser.add_argument(
        "--rfc2217-megabytes",
        type=float,
        default=2.0,
        help="rfc2217:// flood (pyserial's RFC 2217 client is far slower)",
    )
    args = parser.parse_args()
    sizes = {
        "socket": int(args.megabytes * 1024 * 1024),
        "rfc2217": int(args.rfc2217_megabytes * 1024 * 1024),
        "ser2net-raw": int(args.megabytes * 1024 * 1024),
        "ser2net-rfc2217": int(args.rfc2217_megabytes * 1024 * 1024),
    }
    miniterm_size = int(args.miniterm_megabytes * 1024 * 1024)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.lab_helpers import lab_command  # the tests' own helper

    with tempfile.TemporaryDirectory() as folder:
        os.environ["LAUTRE_TUI_STATE_DIR"] = str(Path(folder) / "state")
        cli = [sys.executable, "-m", "lautre_tui"]
        with lab_command(cli, dict(os.environ), Path(folder) / "lab"):
            for name, url in urls(Path(folder) / "lab" / "layout.yaml").items():
                measure(name, url, sizes[name], miniterm_size)
        if shutil.which("ser2net") is None or shutil.which("socat") is None:
            print("\nser2net or socat not installed: no figures through ser2net")
            return
        from tests.ser2net_helpers import running_ser2net  # the tests' own fixture

        with running_ser2net(Path(folder) / "ser2net") as server:
            for name, url in ser2net_urls(server).items():
                measure(name, url, sizes[name], None)


def measure(name: str, url: str, size: int, miniterm_size: int | None) -> None:
    """Floor, miniterm (unless None) and ours on one URL, printed side by side."""
    protocol = ConsoleProtocol.RFC2217 if url.startswith("rfc2217://") else ConsoleProtocol.RAW
    base = floor(url, size)
    base_echo = floor_echo(url)
    term = miniterm(url, min(size, miniterm_size)) if miniterm_size is not None else None
    mine = asyncio.run(ours(url, protocol, size))
    mb = 1024 * 1024
    print(f"\n{name} ({url.split(':')[0]}://) flood of {size / mb:g} MB")
    print(f"  pyserial read loop (floor) {base / mb:6.2f} MB/s")
    if term is not None:
        print(f"  miniterm (pty)             {term / mb:6.2f} MB/s")
    against_term = f", {mine['rate'] / term:.2f}x miniterm" if term is not None else ""
    print(
        f"  ours (session+pyte+widget) {mine['rate'] / mb:6.2f} MB/s  "
        f"= {mine['rate'] / base:.2f}x the floor{against_term}; transcript intact: "
        f"{bool(mine['intact'])}; {mine['lines_kept']:.0f} lines of scrollback"
    )
    print(
        f"  pyserial read loop echo: median {statistics.median(base_echo):.2f} ms, "
        f"p99 {_p99(base_echo):.2f} ms"
    )
    print(
        f"  ours echo idle: median {mine['idle_median']:.2f} ms, "
        f"p99 {mine['idle_p99']:.2f} ms; during a flood: median "
        f"{mine['flood_median']:.2f} ms, p99 {mine['flood_p99']:.2f} ms"
    )


if __name__ == "__main__":
    main()
