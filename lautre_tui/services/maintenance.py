"""Maintenance windows and acknowledgements, shared by every admin of the bastion
through the state database, every action also written to the audit log.

Each write is one immediate transaction: two admins starting a window on the same
host at once get one window (the second extends it), never two half-written.
The audit line is written inside the transaction: if it cannot be written, the
action is not taken. Expired windows and acknowledgements are closed by whoever
notices first, once (the UPDATE only touches rows still open). This module holds
the windows and their snapshots; `services.acknowledgements` the acknowledgements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lautre_tui.model.health import HostHealth
from lautre_tui.model.layout import Layout
from lautre_tui.model.maintenance import (
    Ack,
    CheckSnapshot,
    Comparison,
    Window,
    clock,
    compare,
    handled,
    snapshot,
)
from lautre_tui.model.topology import transitive_dependents
from lautre_tui.services.acknowledgements import Acknowledgements
from lautre_tui.services.audited import MaintenanceError
from lautre_tui.services.state_db import StateUnavailable

_WINDOW_COLUMNS = "id, batch, device, root, user, source, reason, started, ends, ended, end_note"


def _window(row: tuple[object, ...]) -> Window:
    return Window(*row)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Shared:
    """What the database says now: open windows and open acknowledgements."""

    windows: tuple[Window, ...]
    acks: tuple[Ack, ...]

    def window_for(self, device: str) -> Window | None:
        return next((w for w in self.windows if w.device == device), None)

    def acks_for(self, device: str) -> list[Ack]:
        return [a for a in self.acks if a.device == device]


class Maintenance(Acknowledgements):
    """Windows, acknowledgements and snapshots for one layout."""

    # -- scope ----------------------------------------------------------------------

    def scope(self, hosts: Iterable[str], with_dependents: bool) -> dict[str, str]:
        """Device → the named device it is in maintenance for."""
        unknown = [name for name in hosts if name not in self.layout.devices]
        if unknown:
            raise MaintenanceError(f"unknown device(s): {', '.join(unknown)}")
        scope: dict[str, str] = {}
        for name in hosts:
            scope.setdefault(name, name)
            if with_dependents:
                for dependent in transitive_dependents(self.layout, [name]):
                    scope.setdefault(dependent, name)
        return scope

    # -- windows --------------------------------------------------------------------

    def start(
        self,
        hosts: Iterable[str],
        ends: float,
        reason: str,
        *,
        with_dependents: bool = False,
        health: Mapping[str, HostHealth] | None = None,
    ) -> list[Window]:
        """Open a window on `hosts` (and their dependents) until `ends`; a device
        already in an open window has it extended to `ends` if later. Snapshots
        every check of the devices in `health`."""
        reason = reason.strip()
        if not reason:
            raise MaintenanceError("a maintenance window needs a reason")
        now = self.clock()
        if ends <= now:
            raise MaintenanceError("the window would end before it starts")
        scope = self.scope(list(hosts), with_dependents)
        self.expire()
        with self.db.transaction() as db:
            already = {
                row[0]: row[1]
                for row in db.execute("SELECT device, ends FROM windows WHERE ended IS NULL")
            }
            db.executemany(
                "UPDATE windows SET ends = ? WHERE device = ? AND ended IS NULL",
                [
                    (ends, device)
                    for device in scope
                    if device in already and ends > already[device]
                ],
            )
            db.executemany(
                "INSERT INTO windows (batch, device, root, user, source, reason, started,"
                " ends) VALUES (0, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (device, root, self.actor.user, self.actor.source, reason, now, ends)
                    for device, root in scope.items()
                    if device not in already
                ],
            )
            batch = db.execute("SELECT MIN(id) FROM windows WHERE batch = 0").fetchone()[0]
            db.execute("UPDATE windows SET batch = ? WHERE batch = 0", (batch,))
            if batch is not None and health is not None:
                rows = [
                    (batch, r.device, r.check, r.state, r.output)
                    for name in scope
                    if name in health and name not in already
                    for r in snapshot(health[name])
                ]
                db.executemany("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)", rows)
            for device, root in scope.items():
                self._record(
                    "maintenance-start",
                    device,
                    until=clock(ends),
                    ends=ends,
                    reason=reason,
                    scope_of=root,
                )
        return [w for w in self.open_windows() if w.device in scope]

    def _open_rows(self, db: sqlite3.Connection, hosts: Iterable[str]) -> list[Window]:
        """The open windows of `hosts` and of every window opened with them."""
        names = list(hosts)
        marks = ",".join("?" * len(names))
        rows = db.execute(
            f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE ended IS NULL AND batch IN"
            f" (SELECT batch FROM windows WHERE ended IS NULL AND device IN ({marks}))",
            names,
        ).fetchall()
        if not rows:
            raise MaintenanceError(f"no open maintenance window on {', '.join(names)}")
        return [_window(row) for row in rows]

    def windows_of(self, hosts: Iterable[str]) -> list[Window]:
        """The open windows of `hosts` and of those opened with them ([] if none)."""
        self.expire()
        with self.db.transaction() as db:
            try:
                return self._open_rows(db, hosts)
            except MaintenanceError:
                return []

    def extend(self, hosts: Iterable[str], ends: float) -> list[Window]:
        if ends <= self.clock():
            raise MaintenanceError("the new end is already past")
        self.expire()
        with self.db.transaction() as db:
            windows = self._open_rows(db, hosts)
            for window in windows:
                db.execute("UPDATE windows SET ends = ? WHERE id = ?", (ends, window.id))
                self._record("maintenance-extend", window.device, until=clock(ends), ends=ends)
        return [w for w in self.open_windows() if w.id in {x.id for x in windows}]

    def end(
        self, hosts: Iterable[str], comparison: Comparison | None = None, note: str = ""
    ) -> list[Window]:
        """Close the windows of `hosts` (with those opened together); the comparison,
        when made, goes into the audit log."""
        now = self.clock()
        self.expire()
        by = f"ended by {self.actor.user}" + (f": {note}" if note else "")
        with self.db.transaction() as db:
            windows = self._open_rows(db, hosts)
            for window in windows:
                db.execute(
                    "UPDATE windows SET ended = ?, end_note = ? WHERE id = ? AND ended IS NULL",
                    (now, by, window.id),
                )
                details: dict[str, object] = {"reason": window.reason}
                if comparison is not None:
                    details["comparison"] = comparison.summary()
                    details["differences"] = [
                        d.line() for d in comparison.differences if d.device == window.device
                    ]
                self._record("maintenance-end", window.device, **details)
        return windows

    def expire(self) -> list[Window]:
        """Close windows past their end (whoever notices first); audited once."""
        now = self.clock()
        due = self.db.read(
            f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE ended IS NULL AND ends <= ?", (now,)
        )
        if not due:
            return []
        closed: list[Window] = []
        with self.db.transaction() as db:
            for window in map(_window, due):
                cursor = db.execute(
                    "UPDATE windows SET ended = ends, end_note = 'expired'"
                    " WHERE id = ? AND ended IS NULL",
                    (window.id,),
                )
                if cursor.rowcount:
                    closed.append(window)
                    self._record("maintenance-expired", window.device, reason=window.reason)
        return closed

    def open_windows(self) -> list[Window]:
        now = self.clock()
        rows = self.db.read(
            f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE ended IS NULL AND ends > ?"
            " ORDER BY started, id",
            (now,),
        )
        return [_window(row) for row in rows]

    def history(self, limit: int = 100) -> list[Window]:
        rows = self.db.read(
            f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE ended IS NOT NULL"
            " ORDER BY ended DESC LIMIT ?",
            (limit,),
        )
        return [_window(row) for row in rows]

    # -- before and after -------------------------------------------------------------

    def snapshot_of(self, windows: Iterable[Window]) -> list[CheckSnapshot]:
        """What the checks of the windows' devices were when each window began."""
        wanted: dict[int, set[str]] = {}
        for window in windows:
            wanted.setdefault(window.batch, set()).add(window.device)
        rows: list[CheckSnapshot] = []
        for batch, devices in wanted.items():
            rows += [
                CheckSnapshot(*row)
                for row in self.db.read(
                    "SELECT device, check_name, state, output FROM snapshots WHERE batch = ?",
                    (batch,),
                )
                if row[0] in devices
            ]
        return rows

    def compare(self, windows: Iterable[Window], health: Mapping[str, HostHealth]) -> Comparison:
        """The checks of the windows' devices that differ now from their snapshot."""
        chosen = list(windows)
        before = self.snapshot_of(chosen)
        snapped = {row.device for row in before}
        after = [
            row
            for window in chosen
            if window.device in snapped and window.device in health
            for row in snapshot(health[window.device])
        ]
        return compare(before, after)

    # -- reading it all -----------------------------------------------------------------

    def shared(self) -> Shared:
        return Shared(tuple(self.open_windows()), tuple(self.open_acks()))

    def handled(
        self, health: Mapping[str, HostHealth], shared: Shared | None = None
    ) -> dict[str, str]:
        """Device → "maintenance" / "acknowledged" for the hosts whose problems are handled."""
        state = shared if shared is not None else self.shared()
        now = self.clock()
        result: dict[str, str] = {}
        for name, host in health.items():
            how = handled(host, state.windows, state.acks, now)
            if how is not None:
                result[name] = how
        return result


def handled_now(layout: Layout, health: Mapping[str, HostHealth]) -> tuple[dict[str, str], str]:
    """For `status`: the hosts in maintenance and those whose problems are all
    acknowledged, after ending the
    acknowledgements that the fresh round ends; a database that cannot be used
    is said (second item) and nothing counts as handled."""
    service = Maintenance(layout)
    try:
        service.expire()
        service.reconcile(health)
        shared = service.shared()
        marks = service.handled(health, shared)
        marks.update({w.device: "maintenance" for w in shared.windows if w.device in health})
        return marks, ""
    except (StateUnavailable, MaintenanceError) as error:
        return {}, str(error)
    finally:
        service.db.close()


__all__ = [
    "Maintenance",
    "Shared",
    "StateUnavailable",
    "handled_now",
]
