"""A second app instance in its own process, for tests/test_maintenance.py.

`python -m tests.maint_peer LAYOUT DEVICE WAIT_FOR`: builds the app as
`lautre-tui` does, drives it with Pilot (headless), opens a maintenance window on
DEVICE through the `m` dialog, says "opened", then waits until its own rack shows
WAIT_FOR in maintenance (another instance's window) and says "saw WAIT_FOR".
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from lautre_tui.cli.tui import build_app
from lautre_tui.model.loader import load_layout
from lautre_tui.ui.maintenance_dialogs import StartMaintenance
from tests.app_helpers import go_to
from tests.test_ui_rack import rack_lines


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print("timed out", flush=True)
            raise SystemExit(1)
        await asyncio.sleep(0.05)


async def main(layout_path: Path, device: str, wait_for: str) -> None:
    layout = load_layout(layout_path).layout
    assert layout is not None
    app = build_app(layout, layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: app.maintenance is not None and app.maintenance.shared is not None)
        go_to(app, device)
        await pilot.pause()
        await pilot.press("m")
        await until(lambda: isinstance(app.screen, StartMaintenance))
        app.screen.query_one("#until", Input).value = "45m"
        await pilot.press(*"from the peer", "enter")
        await until(lambda: f"⚒{device}" in "\n".join(rack_lines(app)))
        print("opened", flush=True)
        started = time.monotonic()
        await until(lambda: f"⚒{wait_for}" in "\n".join(rack_lines(app)))
        print(f"saw {wait_for} after {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
