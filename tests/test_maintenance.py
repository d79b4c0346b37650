"""Maintenance and acknowledgements end to end: the lab, the CLI as real
processes, the app driven with Pilot, all on one shared database."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.services.audit import AuditLog
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.maintenance_dialogs import (
    Acknowledge,
    EndMaintenance,
    StartMaintenance,
    WindowList,
)
from lautre_tui.ui.status_bar import StatusBar
from tests.app_helpers import a_round_after, go_to, last_round
from tests.conftest import REPO
from tests.lab_helpers import eventually, lab_layout
from tests.lab_helpers import lab_cli as cli
from tests.test_ui_rack import _plain, rack_lines


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shared"
    monkeypatch.setenv("LAUTRE_TUI_STATE_DIR", str(folder))
    return folder


def open_windows(folder: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(folder / "state.db") as db:
        return list(db.execute("SELECT device, user FROM windows WHERE ended IS NULL"))


async def test_app_and_cli_see_each_others_windows(lab: Lab, shared: Path) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await a_round_after(app)
        code, out, err = await cli(
            lab,
            "maint",
            "start",
            "fey",
            "--for",
            "1h",
            "--reason",
            "replacing a disk",
            "--with-dependents",
        )
        assert code == 0, err
        assert {"fey", "emma", "ella", "elsa"} <= {line.split()[0] for line in out.splitlines()}
        # The app notices within 2 s, without being told.
        await eventually(lambda: "⚒emma" in "\n".join(rack_lines(app)), timeout=2.5)
        rack = go_to(app, "fey")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "maintenance by admin2 until" in pane and "replacing a disk" in pane
        # Someone else's window is said in the power confirmation.
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("x")
        await eventually(lambda: isinstance(app.screen, ConfirmPower))
        text = _plain(app.screen.query_one("#impact-text", Static))
        assert "admin2 has fey in maintenance until" in text
        await pilot.press("escape")
        await pilot.press("escape")
        # The other way: a window opened in the app is listed by the CLI.
        rack.select("eva")
        await pilot.pause()
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, StartMaintenance))
        app.screen.query_one("#until", Input).value = "30m"
        await pilot.press(*"kernel update", "enter")
        await eventually(lambda: "⚒eva" in "\n".join(rack_lines(app)))
        code, out, _ = await cli(lab, "maint", "list", "--json")
        listed = {entry["device"]: entry for entry in json.loads(out)}
        assert code == 0 and listed["eva"]["reason"] == "kernel update"
        assert listed["emma"]["user"] == "admin2"
        code, out, _ = await cli(lab, "maint", "end", "fey", "--json")
        result = json.loads(out)
        assert code == 0 and result["all_back"], out
        assert result["summary"].startswith("all ") and result["ended"]
        await eventually(lambda: "⚒emma" not in "\n".join(rack_lines(app)), timeout=2.5)


async def test_comparison_names_a_fault_that_persists(lab: Lab, shared: Path) -> None:
    code, _, err = await cli(lab, "maint", "start", "emma", "--for", "2h", "--reason", "reboot")
    assert code == 0, err
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    code, out, _ = await cli(lab, "maint", "end", "emma", "--json", "--keep-if-different")
    result = json.loads(out)
    assert code == 1 and not result["all_back"] and not result["ended"]
    assert any(d["device"] == "emma" and d["check"] == "check web" for d in result["differences"])
    assert open_windows(shared) == [("emma", "admin2")]
    # Problems of a device in maintenance leave status's exit code, not its JSON.
    code, out, _ = await cli(lab, "status", "--host", "emma", "--json")
    assert code == 0 and json.loads(out)[0]["in_maintenance"] is True
    code, _, _ = await cli(lab, "status", "--host", "emma", "--include-handled")
    assert code == 2
    code, out, _ = await cli(lab, "maint", "end", "emma")
    assert code == 1 and "emma check web: CRITICAL" in out and "ended: emma" in out
    assert open_windows(shared) == []


async def test_acknowledgement_from_the_cli(lab: Lab, shared: Path) -> None:
    code, _, err = await cli(lab, "ack", "emma", "--comment", "nothing wrong")
    assert code == 1 and "no problem to acknowledge" in err
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    code, _, err = await cli(lab, "ack", "emma", "--check", "web", "--comment", "on it")
    assert code == 0, err
    code, out, _ = await cli(lab, "status", "--host", "emma", "--json")
    assert code == 0 and json.loads(out)[0]["acknowledged"] is True
    lab.world.clear("emma")
    code, _, _ = await cli(lab, "status", "--host", "emma")  # recovers: the ack ends
    assert code == 0
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    code, _, _ = await cli(lab, "status", "--host", "emma")
    assert code == 2


async def test_two_concurrent_starts_give_one_window(lab: Lab, shared: Path) -> None:
    results = await asyncio.gather(
        cli(lab, "maint", "start", "elea", "--for", "1h", "--reason", "one", user="admin1"),
        cli(lab, "maint", "start", "elea", "--for", "2h", "--reason", "two", user="admin2"),
    )
    assert [code for code, _, _ in results] == [0, 0], results
    assert len(open_windows(shared)) == 1
    with sqlite3.connect(shared / "state.db") as db:
        ((ends, started),) = db.execute("SELECT ends, started FROM windows")
    assert ends - started >= 2 * 3600 - 60  # the later end wins: extended, not doubled


async def test_bad_databases_are_said_and_kept(lab: Lab, shared: Path) -> None:
    shared.mkdir(parents=True)
    (shared / "state.db").mkdir()
    code, _, err = await cli(lab, "maint", "list")
    assert code == 1 and "state.db cannot be used" in err and "not a regular file" in err
    (shared / "state.db").rmdir()
    garbage = b"SQLite format 3\x00" + os.urandom(4000)
    (shared / "state.db").write_bytes(garbage)
    code, _, err = await cli(lab, "maint", "start", "eva", "--for", "1h", "--reason", "x")
    assert code == 1 and "state.db cannot be used" in err, err
    assert (shared / "state.db").read_bytes() == garbage
    code, _, err = await cli(lab, "status", "--host", "eva")
    assert code == 0 and "every problem counted" in err
    # The app keeps running, says so, and refuses maintenance actions.
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await eventually(lambda: app.maintenance is not None and bool(app.maintenance.trouble))
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, StartMaintenance)
        titles = [n.title for n in app._notifications]
        assert "maintenance unavailable" in titles and "maintenance" in titles
    assert (shared / "state.db").read_bytes() == garbage


async def test_locked_database_in_the_cli(lab: Lab, shared: Path) -> None:
    code, _, _ = await cli(lab, "maint", "list")
    assert code == 0
    locker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.readline()",
        str(shared / "state.db"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert locker.stdout is not None and locker.stdin is not None
    assert await locker.stdout.readline() == b"locked\n"
    try:
        code, _, err = await cli(lab, "maint", "start", "eva", "--for", "1h", "--reason", "x")
        assert code == 1 and "locked by another process" in err, err
    finally:
        locker.stdin.close()
        await locker.wait()


async def test_acknowledged_in_the_app_counts_apart(lab: Lab, shared: Path) -> None:
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await a_round_after(app)
        go_to(app, "emma")
        for _ in range(3):  # soft, soft, hard
            before = last_round(app)
            await pilot.press("r")
            await a_round_after(app, before)
        await eventually(lambda: "✖1 " in str(app.query_one(StatusBar).render()))
        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, Acknowledge))
        await pilot.press(*"swapping", "enter")
        await eventually(lambda: "✓emma" in "\n".join(rack_lines(app)))
        bar = str(app.query_one(StatusBar).render())
        assert "✖0 " in bar and "⚒1 " in bar, bar
        pane = _plain(app.query_one("#device-info", Static))
        assert "web acknowledged by" in pane and "swapping" in pane
        code, out, _ = await cli(lab, "status", "--host", "emma", "--json")
        assert code == 0 and json.loads(out)[0]["acknowledged"] is True


async def test_the_owner_is_warned_before_the_end_and_windows_expire(
    lab: Lab, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "admin2")
    monkeypatch.delenv("SUDO_USER", raising=False)
    code, _, err = await cli(lab, "maint", "start", "elea", "--for", "10m", "--reason", "ram")
    assert code == 0, err
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    now = [time.time()]
    async with app.run_test(size=(100, 30)) as pilot:
        await eventually(lambda: app.maintenance is not None)  # made after the first paint
        assert app.maintenance is not None
        app.maintenance.service.clock = lambda: now[0]
        await a_round_after(app)
        await eventually(lambda: "⚒elea" in "\n".join(rack_lines(app)))
        assert "ends" not in str(app.query_one(StatusBar).render())
        await pilot.press("M")
        await eventually(lambda: isinstance(app.screen, WindowList))
        listed = _plain(app.screen.query_one("#windows", Static))
        assert "elea       maintenance by admin2" in listed
        await pilot.press("escape")
        now[0] += 6 * 60
        app.maintenance_changed()
        await eventually(lambda: "⚒ elea ends" in str(app.query_one(StatusBar).render()))
        now[0] += 5 * 60
        await eventually(lambda: "⚒elea" not in "\n".join(rack_lines(app)), timeout=2.5)
    code, out, _ = await cli(lab, "maint", "list", "--json", "--history")
    assert [(w["device"], w["end_note"]) for w in json.loads(out)] == [("elea", "expired")]


async def test_ending_in_the_app_shows_the_comparison(lab: Lab, shared: Path) -> None:
    code, _, err = await cli(lab, "maint", "start", "emma", "--for", "1h", "--reason", "nfs")
    assert code == 0, err
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await a_round_after(app)
        await eventually(lambda: "⚒emma" in "\n".join(rack_lines(app)))
        go_to(app, "emma")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "since maintenance began:" in pane and "emma check web: CRITICAL" in pane
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, EndMaintenance))
        text = _plain(app.screen.query_one("#comparison", Static))
        assert "checks differ from before" in text and "emma check web" in text
        await pilot.click("#end")
        await eventually(lambda: "⚒emma" not in "\n".join(rack_lines(app)))
    assert open_windows(shared) == []
    events = [
        e for e in AuditLog(shared / "audit.jsonl").read() if e["action"] == "maintenance-end"
    ]
    assert events and "differ" in events[-1]["comparison"]


async def test_two_app_processes_see_each_others_windows(lab: Lab, shared: Path) -> None:
    """Pilot here, and another app instance with its own Pilot in a child process."""
    env = dict(os.environ, USER="admin2", PYTHONPATH=str(REPO))
    env.pop("SUDO_USER", None)
    peer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.maint_peer",
        str(lab.layout_path),
        "elea",
        "eva",
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=str(REPO),
    )
    assert peer.stdout is not None
    try:
        app = build_app(lab_layout(lab), lab.layout_path, interval=60)
        async with app.run_test(size=(100, 30)) as pilot:
            line = await asyncio.wait_for(peer.stdout.readline(), 60)
            assert line == b"opened\n", line
            await eventually(lambda: "⚒elea" in "\n".join(rack_lines(app)), timeout=2.5)
            rack = go_to(app, "elea")
            await pilot.pause()
            assert "maintenance by admin2" in _plain(app.query_one("#device-info", Static))
            rack.select("eva")
            await pilot.pause()
            await pilot.press("m")
            await eventually(lambda: isinstance(app.screen, StartMaintenance))
            await pilot.press(*"kernel", "enter")
            line = await asyncio.wait_for(peer.stdout.readline(), 30)
            assert line.startswith(b"saw eva after"), line
    finally:
        if peer.returncode is None:
            peer.terminate()
        await peer.wait()
    assert {device for device, _ in open_windows(shared)} == {"elea", "eva"}


async def test_an_unwritable_audit_log_refuses_the_window_and_the_app_runs_on(
    lab: Lab, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "audit-is-a-directory"
    blocked.mkdir()
    monkeypatch.setenv("LAUTRE_TUI_AUDIT_LOG", str(blocked))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await eventually(
            lambda: app.maintenance is not None and app.maintenance.shared.windows == ()
        )
        go_to(app, "eva")
        await pilot.pause()
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, StartMaintenance))
        await pilot.press(*"kernel", "enter")
        await eventually(
            lambda: any("nothing was changed" in str(n.message) for n in app._notifications),
        )
        assert app.is_running
    assert open_windows(shared) == []
