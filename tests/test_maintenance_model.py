"""Maintenance and acknowledgement rules, the comparison, and the service on a real
database file, with an injected clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from lautre_tui.model.health import CheckHealth, HostHealth, Reachability, Verdict
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from lautre_tui.model.maintenance import (
    Ack,
    CheckSnapshot,
    ack_ends,
    compare,
    parse_until,
)
from lautre_tui.model.probe_format import CheckState, HostFigures
from lautre_tui.services.audit import Actor, AuditLog
from lautre_tui.services.audited import MaintenanceError
from lautre_tui.services.maintenance import Maintenance
from lautre_tui.services.state_db import StateDB
from tests.conftest import LAUTRE_LAYOUT


def layout() -> Layout:
    loaded = load_layout(LAUTRE_LAYOUT).layout
    assert loaded is not None
    return loaded


def host(name: str, **states: CheckState) -> HostHealth:
    checks = tuple(
        CheckHealth(check, state, state, f"{check} is {state.name.lower()}", 0, 0.0, 0.0)
        for check, state in states.items()
    )
    worst = CheckState.worst([c.state for c in checks])
    verdict = {
        CheckState.OK: Verdict.OK,
        CheckState.WARNING: Verdict.WARNING,
        CheckState.CRITICAL: Verdict.CRITICAL,
        CheckState.UNKNOWN: Verdict.UNKNOWN,
    }[worst]
    return HostHealth(
        name,
        Reachability.UP,
        verdict,
        checks=checks,
        figures=HostFigures(disks={"/": (10, 5), "/srv/data": (10, 5)}),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def service(tmp_path: Path, clock: Clock, user: str = "admin1") -> Maintenance:
    return Maintenance(
        layout(),
        StateDB(tmp_path / "state.db"),
        audit=AuditLog(tmp_path / "audit.jsonl", Actor(user, "192.0.2.1")),
        actor=Actor(user, "192.0.2.1"),
        clock=clock,
    )


def test_until_durations_and_clock_times() -> None:
    now = datetime(2026, 5, 1, 14, 0).timestamp()
    assert parse_until("90m", now) == now + 5400
    assert parse_until("2h", now) == now + 7200
    assert parse_until("18:30", now) == datetime(2026, 5, 1, 18, 30).timestamp()
    assert parse_until("09:00", now) == datetime(2026, 5, 2, 9, 0).timestamp()
    # too long to be meant, or for a clock to print (it took the app down once)
    for bad in ("soon", "25:00", "0m", "-3h", "400d", "99999999999h", "99999999999999999999d"):
        with pytest.raises(ValueError):
            parse_until(bad, now)


def test_ack_rules() -> None:
    plain = Ack(1, "emma", "web", "WARNING", "a", "s", "c", False, 0.0)
    sticky = replace(plain, sticky=True)
    assert ack_ends(plain, "WARNING", 10) is None
    assert ack_ends(plain, "CRITICAL", 10) == "state changed (WARNING → CRITICAL)"
    assert ack_ends(sticky, "CRITICAL", 10) is None
    assert ack_ends(sticky, "OK", 10) == "recovered"
    assert ack_ends(plain, "OK", 10) == "recovered"
    assert ack_ends(replace(sticky, expires=5.0), "CRITICAL", 10) == "expired"
    assert ack_ends(plain, None, 10) is None


def test_comparison_names_what_differs_and_ignores_file_ages() -> None:
    before = [
        CheckSnapshot("lvs1", "check web", "OK", "10.0.0.1:80 has 2 real servers"),
        CheckSnapshot("emma", "check backup", "OK", "/b present, 30s old"),
        CheckSnapshot("emma", "mounts", "OK", "/ /srv/data"),
    ]
    after = [
        CheckSnapshot("lvs1", "check web", "OK", "10.0.0.1:80 has 1 real servers"),
        CheckSnapshot("emma", "check backup", "OK", "/b present, 95s old"),
        CheckSnapshot("emma", "mounts", "OK", "/"),
    ]
    result = compare(before, after)
    assert not result.all_back
    assert [d.line() for d in result.differences] == [
        "emma mounts: / (was / /srv/data)",
        "lvs1 check web: 10.0.0.1:80 has 1 real servers (was 10.0.0.1:80 has 2 real servers)",
    ]
    assert compare(before, before).summary() == "all 3 checks back as before"


def test_windows_expire_by_the_clock_and_leave_history(tmp_path: Path) -> None:
    clock = Clock()
    maint = service(tmp_path, clock)
    opened = maint.start(["fey"], clock.now + 600, "replacing a disk", with_dependents=True)
    assert {w.device for w in opened} >= {"fey", "emma", "ella", "elsa"}
    assert len({w.batch for w in opened}) == 1
    assert maint.shared().window_for("emma") is not None
    clock.now += 601
    assert maint.open_windows() == []
    expired = maint.expire()
    assert {w.device for w in expired} == {w.device for w in opened}
    assert maint.expire() == []  # once
    assert {w.end_note for w in maint.history()} == {"expired"}
    actions = [e["action"] for e in AuditLog(tmp_path / "audit.jsonl").read()]
    assert actions.count("maintenance-expired") == len(opened)


def test_start_twice_extends_and_end_compares(tmp_path: Path) -> None:
    clock = Clock()
    one, two = service(tmp_path, clock), service(tmp_path, clock, "admin2")
    healthy = {"emma": host("emma", web=CheckState.OK, nfs=CheckState.OK)}
    one.start(["emma"], clock.now + 600, "kernel", health=healthy)
    two.start(["emma"], clock.now + 1200, "also")
    windows = one.open_windows()
    assert len(windows) == 1 and windows[0].ends == clock.now + 1200
    assert windows[0].user == "admin1"
    broken = {"emma": host("emma", web=CheckState.CRITICAL, nfs=CheckState.OK)}
    comparison = one.compare(windows, broken)
    assert [d.check for d in comparison.differences] == ["check web", "host"]
    assert one.compare(windows, healthy).all_back
    assert one.handled(broken) == {"emma": "maintenance"}
    one.end(["emma"], comparison)
    assert one.open_windows() == [] and one.handled(broken) == {}
    with pytest.raises(MaintenanceError, match="no open maintenance window"):
        one.end(["emma"])


def test_acknowledgements_follow_the_rules(tmp_path: Path) -> None:
    clock = Clock()
    maint = service(tmp_path, clock)
    warning = {"emma": host("emma", web=CheckState.WARNING, nfs=CheckState.OK)}
    maint.acknowledge(warning["emma"], "looking at it")
    assert maint.handled(warning) == {"emma": "acknowledged"}
    critical = {"emma": host("emma", web=CheckState.CRITICAL, nfs=CheckState.OK)}
    assert [why for _, why in maint.reconcile(critical)] == ["state changed (WARNING → CRITICAL)"]
    assert maint.handled(critical) == {}
    maint.acknowledge(critical["emma"], "disk swap", sticky=True, expires=clock.now + 60)
    assert maint.reconcile(warning) == [] and maint.handled(warning) == {"emma": "acknowledged"}
    clock.now += 61
    assert [why for _, why in maint.reconcile(warning)] == ["expired"]
    maint.acknowledge(warning["emma"], "sticky", sticky=True)
    healthy = {"emma": host("emma", web=CheckState.OK, nfs=CheckState.OK)}
    assert [why for _, why in maint.reconcile(healthy)] == ["recovered"]
    with pytest.raises(MaintenanceError, match="no problem"):
        maint.acknowledge(healthy["emma"], "nothing")
