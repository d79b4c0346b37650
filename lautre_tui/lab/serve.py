"""Run a lab until told to stop: the body of `lautre-tui lab`."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from lautre_tui.lab import control
from lautre_tui.lab.runner import Lab


async def serve_lab(
    directory: Path,
    *,
    hosts: int,
    seed: int | None,
    boot_seconds: float,
    until_stdin_closes: bool,
    reach_only: int = 0,
) -> None:
    """Start the lab, say `lab ready: …` on stdout, and close it all on SIGINT, SIGTERM
    (or when stdin closes, if asked)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    if until_stdin_closes:
        loop.add_reader(sys.stdin.fileno(), _on_stdin, stop)
    lab = Lab(directory, hosts=hosts, reach_only=reach_only, seed=seed, boot_seconds=boot_seconds)
    await lab.start()
    controller = await control.serve(lab.world, lab.directory)
    try:
        print(f"lab ready: {lab.layout_path}", flush=True)
        await stop.wait()
    finally:
        controller.close()
        await controller.wait_closed()
        (lab.directory / control.SOCKET).unlink(missing_ok=True)
        await lab.close()


def _on_stdin(stop: asyncio.Event) -> None:
    if not os.read(sys.stdin.fileno(), 4096):
        asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
        stop.set()
