"""The shared maintenance state at scale.

1. Snapshot and comparison: 1000 generated hosts (the lab's scale layout) with 10
   checks and a few mounts each; time to open one window on all of them with the
   snapshot, to compare after a "round" where 1% of checks changed, and the
   database's size.
2. Writers: N processes (20) each writing an acknowledgement or a window 5 times a
   second for S seconds (30) on one database, through the service as the app
   and the CLI use it (audit line included): every write must be there at the
   end, no "database is locked" may surface, and the write latency is reported
   (p50, p99, max).

Run: `.venv/bin/python benchmarks/maintenance.py [--hosts 1000] [--writers 20]
[--seconds 30]`. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from lautre_tui.lab.runner import lab_layout_data
from lautre_tui.model.health import CheckHealth, HostHealth, Reachability, Verdict
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import parse_layout
from lautre_tui.model.probe_format import CheckState, HostFigures
from lautre_tui.services.audit import Actor, AuditLog
from lautre_tui.services.maintenance import Maintenance
from lautre_tui.services.state_db import StateDB, StateUnavailable

CHECKS = 10


def scale_layout(hosts: int) -> Layout:
    text = yaml.safe_dump(lab_layout_data(hosts))
    result = parse_layout(text, "scale.yaml", Path("."))
    assert result.layout is not None, result.errors
    return result.layout


def synthetic(name: str, broken: bool = False) -> HostHealth:
    checks = tuple(
        CheckHealth(
            f"check{i}",
            CheckState.OK,
            CheckState.CRITICAL if broken and i == 3 else CheckState.OK,
            f"service {i} answers on port {8000 + i}",
            0,
            0.0,
            0.0,
        )
        for i in range(CHECKS)
    )
    disks = {"/": (100, 50), "/var": (100, 50), "/srv/data": (100, 50)}
    return HostHealth(
        name, Reachability.UP, Verdict.OK, checks=checks, figures=HostFigures(disks=disks)
    )


def service(layout: Layout, folder: Path, user: str) -> Maintenance:
    actor = Actor(user, "bench")
    return Maintenance(
        layout,
        StateDB(folder / "state.db", timeout=10.0),
        audit=AuditLog(folder / "audit.jsonl", actor),
        actor=actor,
    )


def one_try(layout: Layout, names: list[str], folder: Path, snapshot: bool) -> tuple[float, float]:
    """(seconds to open the windows, seconds to compare) on a fresh database."""
    before = {name: synthetic(name) for name in names}
    after = {name: synthetic(name, broken=index % 100 == 0) for index, name in enumerate(names)}
    folder.mkdir()
    maint = service(layout, folder, "bench")
    maint.db.connection()
    gc.collect()  # the garbage of the previous try is not this one's cost
    started = time.perf_counter()
    windows = maint.start(names, time.time() + 3600, "scale", health=before if snapshot else None)
    opened = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    comparison = maint.compare(windows, after)
    compared = time.perf_counter() - started
    assert not snapshot or len(comparison.differences) == len(names) // 100
    maint.db.close()
    return opened, compared


def snapshot_and_compare(hosts: int, folder: Path, tries: int = 5) -> dict[str, float]:
    """Medians of `tries`: opening the windows alone (rows and audit lines), with the
    snapshot, and the comparison; the snapshot's cost is the difference."""
    layout = scale_layout(hosts)
    names = [f"gen{i + 1:04d}" for i in range(hosts)]
    bare = [one_try(layout, names, folder / f"bare{i}", False)[0] for i in range(tries)]
    full = [one_try(layout, names, folder / f"full{i}", True) for i in range(tries)]
    windows = statistics.median(bare)
    with_snapshot = statistics.median(opened for opened, _ in full)
    compare = statistics.median(compared for _, compared in full)
    db = folder / "full0" / "state.db"
    size = sum(os.path.getsize(p) for p in (db, Path(f"{db}-wal")) if p.exists())
    return {
        "hosts": hosts,
        "checks_per_host": CHECKS,
        "windows_and_audit_s": round(windows, 3),
        "snapshot_s": round(with_snapshot - windows, 3),
        "compare_s": round(compare, 3),
        "snapshot_plus_compare_s": round(with_snapshot - windows + compare, 3),
        "db_bytes": size,
    }


def writer(
    folder: str, index: int, seconds: float, rate: float, start_at: float, out: str, floor: bool
) -> None:
    layout = scale_layout(0)
    maint = service(layout, Path(folder), f"admin{index}")
    devices = sorted(layout.devices)
    latencies: list[float] = []
    errors: list[str] = []
    count = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    next_at = start_at
    bare = sqlite3.connect(
        Path(folder) / ("floor.db" if floor else "unused.db"), timeout=10.0, isolation_level=None
    )
    while next_at < deadline:
        time.sleep(max(0.0, next_at - time.time()))
        device = devices[(index + count) % len(devices)]
        began = time.perf_counter()
        try:
            if floor:  # bare sqlite3: one insert, SQLite's own busy handler, no audit
                bare.execute("BEGIN IMMEDIATE")
                bare.execute("INSERT INTO t VALUES (?)", (f"{index}-{count}",))
                bare.execute("COMMIT")
            elif count % 3 == 2:
                maint.start([device], time.time() + 600 + count, f"w{index}-{count}")
            else:
                health = HostHealth(device, Reachability.DOWN, Verdict.DOWN)
                maint.acknowledge(health, f"a{index}-{count}")
        except (StateUnavailable, sqlite3.Error) as error:
            errors.append(str(error))
        latencies.append(time.perf_counter() - began)
        count += 1
        next_at += 1.0 / rate
    Path(out).write_text(json.dumps({"latencies": latencies, "errors": errors, "count": count}))


def floor_writers(writers: int, seconds: float, rate: float, folder: Path) -> dict[str, object]:
    """The same load on a bare table through sqlite3 alone: this machine's floor."""
    with sqlite3.connect(folder / "floor.db") as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE t (v TEXT)")
    results = run_writers(writers, seconds, rate, folder, floor=True)
    rows = sqlite3.connect(folder / "floor.db").execute("SELECT COUNT(*) FROM t").fetchone()[0]
    return {"rows": rows, **latency(results)}


def latency(results: list[dict[str, Any]]) -> dict[str, object]:
    latencies = sorted(x for r in results for x in r["latencies"])
    return {
        "writes": sum(r["count"] for r in results),
        "errors_surfaced": sum(len(r["errors"]) for r in results),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
        "max_ms": round(1000 * latencies[-1], 2),
    }


def run_writers(
    writers: int, seconds: float, rate: float, folder: Path, *, floor: bool = False
) -> list[dict[str, Any]]:
    start_at = time.time() + 2.0
    context = multiprocessing.get_context("spawn")
    outs = [str(folder / f"writer{i}.json") for i in range(writers)]
    processes = [
        context.Process(
            target=writer, args=(str(folder), i, seconds, rate, start_at, outs[i], floor)
        )
        for i in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return [json.loads(Path(out).read_text()) for out in outs]


def many_writers(writers: int, seconds: float, rate: float, folder: Path) -> dict[str, object]:
    StateDB(folder / "state.db").version()  # created and migrated once
    results = run_writers(writers, seconds, rate, folder)
    latencies = sorted(x for r in results for x in r["latencies"])
    errors = [e for r in results for e in r["errors"]]
    written = sum(r["count"] for r in results)
    acks_expected = sum(sum(1 for c in range(r["count"]) if c % 3 != 2) for r in results)
    db = StateDB(folder / "state.db")
    acks = db.read("SELECT COUNT(*) FROM acks")[0][0]
    comments = {row[0] for row in db.read("SELECT comment FROM acks")}
    db.close()
    audit_lines = len((folder / "audit.jsonl").read_text().splitlines())
    return {
        "writers": writers,
        "seconds": seconds,
        "writes": written,
        "ack_rows": acks,
        "ack_rows_expected": acks_expected,
        "distinct_ack_comments": len(comments),
        "audit_lines": audit_lines,
        "errors_surfaced": len(errors),
        "locked_errors": sum("locked" in e for e in errors),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
        "max_ms": round(1000 * latencies[-1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=5.0, help="writes per second per writer")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare sqlite3 run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        figures = snapshot_and_compare(args.hosts, Path(one))
        print("snapshot + compare:", json.dumps(figures), flush=True)
        load = many_writers(args.writers, args.seconds, args.rate, Path(two))
        print("concurrent writers:", json.dumps(load), flush=True)
    if not args.no_floor:
        with tempfile.TemporaryDirectory() as three:
            floor = floor_writers(args.writers, args.seconds, args.rate, Path(three))
            print("floor (bare sqlite3, same load):", json.dumps(floor), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
