"""The event history: state changes kept once in the shared database whichever app
saw them, actions from the audit log beside them, and `e` in the app, across a
restart."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import OptionList

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import CheckHealth, HostHealth, Verdict
from lautre_tui.model.history import StateChange, transitions
from lautre_tui.model.probe_format import CheckState
from lautre_tui.services.audit import Actor, AuditLog
from lautre_tui.services.history import History
from lautre_tui.services.state_db import StateDB
from lautre_tui.ui.events_pane import EventsPane
from lautre_tui.ui.events_screen import EventsScreen
from tests.app_helpers import a_round_after, go_to, last_round
from tests.lab_helpers import eventually, lab_layout


def lines_of(listed: OptionList) -> list[str]:
    return [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]


def health(verdict: Verdict, web: CheckState) -> HostHealth:
    check = CheckHealth("web", web, web, "", 0, 0.0, 0.0)
    return HostHealth("emma", verdict=verdict, checks=(check,))


def test_only_hard_changes_count() -> None:
    ok, down = health(Verdict.OK, CheckState.OK), health(Verdict.CRITICAL, CheckState.CRITICAL)
    assert transitions(ok, ok, 1.0) == []
    assert transitions(ok, down, 1.0) == [
        StateChange(1.0, "emma", "", "ok", "critical"),
        StateChange(1.0, "emma", "web", "OK", "CRITICAL"),
    ]
    assert [c.old for c in transitions(None, ok, 1.0)] == ["", ""]  # first sight


def test_two_apps_seeing_one_change_keep_it_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first, second = History(StateDB(path)), History(StateDB(path))
    ok, down = health(Verdict.OK, CheckState.OK), health(Verdict.CRITICAL, CheckState.CRITICAL)
    assert first.record(transitions(None, ok, 1.0)) == 0  # first seen fine: not news
    assert first.record(transitions(ok, down, 2.0)) == 2
    assert second.record(transitions(ok, down, 2.5)) == 0  # the other app saw it too
    assert second.record(transitions(down, ok, 3.0)) == 2
    assert [(c.check, c.old, c.new) for c in first.changes()] == [
        ("web", "CRITICAL", "OK"),
        ("", "critical", "ok"),
        ("web", "OK", "CRITICAL"),
        ("", "ok", "critical"),
    ]
    assert second.record(transitions(ok, down, 3.5)) == 2  # down again
    restarted = History(StateDB(path))  # an app started while it is down: its first look
    assert restarted.record(transitions(None, ok, 4.0)) == 0  # (soft again) is no recovery
    assert restarted.record(transitions(None, down, 4.5)) == 0  # and the failure is known
    assert len(first.changes()) == 6
    # it recovered while no app ran; days later it fails again, and that is news
    assert restarted.record(transitions(ok, down, 90_000.0)) == 2
    assert [(c.check, c.old, c.new) for c in first.changes()[:2]] == [
        ("web", "OK", "CRITICAL"),
        ("", "ok", "critical"),
    ]


def test_actions_from_the_audit_log_come_with_who(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    AuditLog(audit, Actor("admin2", "10.0.0.5")).record("off", "fey", "ok")
    with audit.open("a") as file:
        file.write('{"torn": \n')  # another version's line, or a torn one
        file.write("[" * 100_000 + "\n")  # deep enough to make json recurse too far
    history = History(StateDB(tmp_path / "state.db"), audit)
    history.record([StateChange(time.time() - 3600, "fey", "", "ok", "off")])
    events = history.events()
    assert [(e.device, e.what, e.who) for e in events] == [
        ("fey", "off: ok", "admin2 from 10.0.0.5"),
        ("fey", "state: ok → off", ""),
    ]


async def test_e_shows_a_failure_seen_by_the_app_after_a_restart(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await a_round_after(app)
        go_to(app, "emma")
        for _ in range(2):  # soft 2/3, then hard
            before = last_round(app)
            await pilot.press("r")
            await a_round_after(app, before)
    # a new app on the same shared state: the history is still there
    again = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await eventually(lambda: isinstance(again.screen, EventsScreen))
        listed = again.screen.query_one(EventsPane)
        failed = "web: OK → CRITICAL"
        await eventually(lambda: any(failed in line for line in lines_of(listed)))
        listed.highlighted = next(i for i, line in enumerate(lines_of(listed)) if failed in line)
        assert "emma" in lines_of(listed)[listed.highlighted]
        await pilot.press("enter")
        await eventually(lambda: again.screen is again.rack_screen)
        assert again.rack_screen.selected_device is not None
        assert again.rack_screen.selected_device.name == "emma"


async def test_a_large_terminal_shows_the_events_beside_the_rack(lab: Lab) -> None:
    history = History()  # the lab's shared state folder, as the app's
    history.record([StateChange(time.time(), "fey", "nfs", "OK", "CRITICAL")])
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.rack_screen.query(EventsPane)  # no room at 80x24: `e` opens the history
        await pilot.resize_terminal(160, 48)
        await eventually(lambda: bool(app.rack_screen.query(EventsPane)))
        pane = app.rack_screen.query_one(EventsPane)
        await eventually(lambda: any("nfs: OK → CRITICAL" in line for line in lines_of(pane)))
        assert pane.display and pane.region.width > 0
        # Written since by someone else (another connection): the next read shows it.
        History().record([StateChange(time.time(), "elea", "mysql", "OK", "CRITICAL")])
        pane.reload()  # as its 5 s tick does
        await eventually(lambda: any("mysql: OK → CRITICAL" in line for line in lines_of(pane)))
        line = next(i for i, line in enumerate(lines_of(pane)) if "fey" in line)
        pane.focus()
        pane.highlighted = line
        await pilot.press("enter")  # goes to the device, as in the `e` view
        await eventually(
            lambda: (
                app.rack_screen.selected_device is not None
                and app.rack_screen.selected_device.name == "fey"
            )
        )
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not pane.display


async def test_a_history_that_cannot_be_kept_says_so_as_text(tmp_path: Path) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    history = History(StateDB(tmp_path / "state.db"), tmp_path / "audit.jsonl")
    history.record([StateChange(time.time(), "fey", "", "ok", "off")])
    trouble = "the shared state /srv/[/b]x/state.db cannot be used"  # a path is not markup

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("rack")

    app = Host()
    async with app.run_test(size=(80, 24)):
        app.push_screen(EventsScreen(lambda: history, lambda: trouble))
        await eventually(lambda: bool(app.screen.query(EventsPane)))
        pane = app.screen.query_one(EventsPane)
        await eventually(lambda: any("fey" in line for line in lines_of(pane)))
        assert app.is_running
        assert "[/b]x" in str(pane.border_subtitle)
