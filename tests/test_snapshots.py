"""The main screens at 80x24, held by snapshots of the app the CLI builds (reviewed
SVGs under tests/__snapshots__; `pytest tests/test_snapshots.py --snapshot-update`
after a change to the UI, then look at them before committing).

Deterministic on purpose: the shipped layout shown by a relative path, no poller,
states and check results set by the test, nothing timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from lautre_tui.cli.tui import build_app
from lautre_tui.model.health import HealthTracker
from lautre_tui.model.impact import PowerAction, power_impact
from lautre_tui.model.probe_format import BEGIN, END, parse_report
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.badges import health_badge
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.problems_screen import ProblemsScreen
from tests.conftest import lautre

SnapCompare = Callable[..., bool]
SIZE = (80, 24)


@pytest.fixture(autouse=True)
def _same_terminal_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the environment says of colours would change the pictures, not the app."""
    for name in ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS"):
        monkeypatch.delenv(name, raising=False)


def app() -> RackApp:
    return build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)


async def ella_failing(pilot: Pilot[Any]) -> None:
    """ella's web check critical (hard), the others fine; shown as the poller would."""
    rack_app = pilot.app
    assert isinstance(rack_app, RackApp)
    layout = rack_app.site.layout
    tracker = HealthTracker(layout, soft_fails=1)
    checks = len(layout.devices["ella"].services)
    lines = [f"C {i} OK fine" for i in range(checks)]
    lines[0] = "C 0 CRITICAL apache2 is not running; port 80 refused (since 03:12)"
    report = parse_report("\n".join([BEGIN, *lines, END]) + "\n", checks)
    health = tracker.observe("ella", report, time.time())
    rack_app.site.health["ella"] = health
    await pilot.pause()  # the snapshot plugin calls this before the rack is mounted
    view = rack_app.rack_screen.current_rack()
    assert view is not None
    view.set_badges({"ella": health_badge(health)})
    view.select("ella")
    await pilot.pause()


def test_rack(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=SIZE)


def test_device_with_a_failing_check(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=SIZE, run_before=ella_failing)


def test_problems_view(snap_compare: SnapCompare) -> None:
    async def problems(pilot: Pilot[Any]) -> None:
        await ella_failing(pilot)
        rack_app = pilot.app
        assert isinstance(rack_app, RackApp)
        # What `!` opens; the key is only offered with a poller, and these run without.
        await rack_app.push_screen(ProblemsScreen(rack_app.site.health.values(), SIZE[0]))
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=problems)


def test_power_dialog(snap_compare: SnapCompare) -> None:
    async def dialog(pilot: Pilot[Any]) -> None:
        rack_app = pilot.app
        assert isinstance(rack_app, RackApp)
        impact = power_impact(rack_app.site.layout, "fey", PowerAction.OFF)
        await rack_app.push_screen(ConfirmPower(impact))
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=dialog)


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=SIZE, press=["question_mark"])


def test_filter_prompt(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=SIZE, press=["slash", *"mail"])


def test_command_palette(snap_compare: SnapCompare) -> None:
    async def palette(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+p", *"fey")
        await pilot.app.workers.wait_for_complete()  # the palette's search is a worker
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=palette)


def test_command_line(snap_compare: SnapCompare) -> None:
    async def typing(pilot: Pilot[Any]) -> None:
        await pilot.press("colon", *"power fe")
        await pilot.app.workers.wait_for_complete()  # the completion is a worker
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=typing)


def test_console(snap_compare: SnapCompare) -> None:
    """The console's frame (status line, footer of keys) on pyserial's loop:// port:
    what is typed comes back, nothing timed or networked."""
    from lautre_tui.model.layout import ConsoleProtocol
    from lautre_tui.services.console import ConsoleTarget
    from lautre_tui.ui.console_app import ConsoleApp
    from lautre_tui.ui.console_screen import ConsoleScreen

    async def typed(pilot: Pilot[Any]) -> None:
        app = pilot.app
        while not isinstance(app.screen, ConsoleScreen):
            await pilot.pause(0.01)
        screen = app.screen
        await pilot.press(*"echo hello", "enter")
        while "echo hello" not in screen.terminal.text():
            await pilot.pause(0.01)

    target = ConsoleTarget("eva", "loop://", 9600, ConsoleProtocol.TTY)
    assert snap_compare(ConsoleApp(target), terminal_size=SIZE, run_before=typed)
