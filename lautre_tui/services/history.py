"""The event history every admin of the bastion shares: state changes in the
shared database, actions in the audit log, read together newest first.

Several apps poll the same rack and each sees the same change: a change is
written only when the last one recorded for that device and check says
otherwise, in one transaction, so the history holds it once whoever saw it
first. A device an app sees fine at its first look is not news: its failures
are still being counted again (soft), and the history must not say it recovered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lautre_tui.model.history import QUIET, StateChange
from lautre_tui.services.audit import default_audit_path
from lautre_tui.services.state_db import StateDB

# Apps polling one rack see one change within a few rounds of each other; the same
# state recorded longer ago is a new change whose way back nobody saw (a recovery
# while no app ran): written again rather than lost.
SAME_CHANGE = 600.0
AUDIT_TAIL_BYTES = 512 * 1024  # the newest actions; the file itself is never rewritten


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the history: a state change, or an action with who did it."""

    time: float
    device: str
    what: str  # "web: OK → CRITICAL", "power off: ok"
    who: str = ""  # "admin2 from 10.0.0.5" for actions


class History:
    def __init__(self, db: StateDB | None = None, audit_path: Path | None = None) -> None:
        self.db = db if db is not None else StateDB()
        self.audit_path = audit_path if audit_path is not None else default_audit_path()

    def record(self, changes: Iterable[StateChange]) -> int:
        """Write the changes not already recorded by another app; how many were."""
        written = 0
        with self.db.transaction() as connection:
            for change in changes:
                row = connection.execute(
                    "SELECT new, time FROM state_changes WHERE device = ? AND check_name = ?"
                    " ORDER BY id DESC LIMIT 1",
                    (change.device, change.check),
                ).fetchone()
                last, when = (row[0], row[1]) if row else (None, None)
                first_sight = not change.old  # this app just started: its "ok" proves nothing
                if change.new in QUIET and (first_sight or last is None):
                    continue
                if last == change.new and when is not None and change.time - when < SAME_CHANGE:
                    continue  # another app saw this very change
                connection.execute(
                    "INSERT INTO state_changes (time, device, check_name, old, new)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        change.time,
                        change.device,
                        change.check,
                        change.old or last or "",
                        change.new,
                    ),
                )
                written += 1
        return written

    def version(self) -> tuple[tuple[int, int], tuple[int, int] | None]:
        """Changes whenever anyone writes a state change or an action: a reader that
        has seen this version need not read the history again."""
        try:
            audit = os.stat(self.audit_path)
        except OSError:
            return self.db.version(), None
        return self.db.version(), (audit.st_size, audit.st_mtime_ns)

    def changes(self, limit: int = 500) -> list[StateChange]:
        rows = self.db.read(
            "SELECT time, device, check_name, old, new FROM state_changes ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [StateChange(*row) for row in rows]

    def events(self, limit: int = 500) -> list[Event]:
        """State changes and actions, newest first."""
        events = [
            Event(c.time, c.device, f"{c.check or 'state'}: {c.old or '—'} → {c.new}")
            for c in self.changes(limit)
        ]
        events += self._actions()
        events.sort(key=lambda event: event.time, reverse=True)
        return events[:limit]

    def _actions(self) -> list[Event]:
        try:
            with open(self.audit_path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                file.seek(max(0, size - AUDIT_TAIL_BYTES))
                tail = file.read()
        except OSError:  # none yet, or unreadable: the state changes are still shown
            return []
        lines = tail.split(b"\n")
        if len(tail) == AUDIT_TAIL_BYTES:
            lines = lines[1:]  # the first line was cut
        actions: list[Event] = []
        for line in lines:
            try:
                record = json.loads(line)
                when = datetime.fromisoformat(record["time"]).timestamp()
                what = f"{record['action']}: {record['result']}"
                who = f"{record.get('user', '?')} from {record.get('source', '?')}"
                actions.append(Event(when, str(record["device"]), what, who))
            except Exception:  # a torn, foreign or hostile line (100,000 `[` make json
                continue  # recurse too deep) is skipped, never the whole history
        return actions
