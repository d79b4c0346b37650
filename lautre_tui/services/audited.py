"""What maintenance windows and acknowledgements share: the state database every
admin of the bastion writes to, the audit log, who acts, and the clock.

Each write is one immediate transaction, and its audit line is written inside
it: if the line cannot be written, the action is not taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lautre_tui.model.layout import Layout
from lautre_tui.services.audit import Actor, AuditLog, AuditUnwritable
from lautre_tui.services.state_db import StateDB

Clock = Callable[[], float]


class MaintenanceError(Exception):
    """An action that cannot be taken as asked (unknown host, nothing open…)."""


class AuditedState:
    """The shared state database of one layout, each action written to the audit log."""

    def __init__(
        self,
        layout: Layout,
        db: StateDB | None = None,
        *,
        audit: AuditLog | None = None,
        actor: Actor | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.layout = layout
        self.db = db if db is not None else StateDB()
        self.actor = actor if actor is not None else Actor.current()
        self.audit = audit if audit is not None else AuditLog(actor=self.actor)
        self.clock = clock

    def _record(self, action: str, device: str, **details: object) -> None:
        try:
            self.audit.record(action, device, "ok", **details)
        except AuditUnwritable as error:
            raise MaintenanceError(f"{error}: nothing was changed") from error
