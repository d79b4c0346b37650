"""Acknowledgements of a host's problems, shared by every admin of the bastion
through the state database, each also written to the audit log.

An acknowledgement replaces the open one of the same check; those whose rules
say so (the problem went away, the state changed, it expired) are ended by
whoever notices first, once (the UPDATE only touches rows still open).
"""

from __future__ import annotations

from collections.abc import Mapping

from lautre_tui.model.health import HostHealth
from lautre_tui.model.maintenance import Ack, ack_ends, current_states, problems
from lautre_tui.services.audited import AuditedState, MaintenanceError

_ACK_COLUMNS = (
    "id, device, check_name, state, user, source, comment, sticky, created, expires, ended,"
    " end_note"
)


def _ack(row: tuple[object, ...]) -> Ack:
    values = list(row)
    values[7] = bool(values[7])
    return Ack(*values)  # type: ignore[arg-type]


class Acknowledgements(AuditedState):
    """Acknowledging problems, the open acknowledgements, and ending them."""

    def acknowledge(
        self,
        health: HostHealth,
        comment: str,
        *,
        check: str | None = None,
        sticky: bool = False,
        expires: float | None = None,
    ) -> list[Ack]:
        """Acknowledge the host's problems now (or only `check`'s)."""
        comment = comment.strip()
        if not comment:
            raise MaintenanceError("an acknowledgement needs a comment")
        now = self.clock()
        found = problems(health)
        if check is not None:
            states = current_states(health)
            if check not in states:
                raise MaintenanceError(f"{health.device} has no check named {check!r}")
            found = {check: states[check]} if states[check] != "OK" else {}
        if not found:
            what = f"{health.device} {check}" if check else health.device
            raise MaintenanceError(f"{what} has no problem to acknowledge")
        with self.db.transaction() as db:
            for name, state in found.items():
                db.execute(
                    "UPDATE acks SET ended = ?, end_note = 'replaced'"
                    " WHERE device = ? AND check_name = ? AND ended IS NULL",
                    (now, health.device, name),
                )
                db.execute(
                    "INSERT INTO acks (device, check_name, state, user, source, comment, sticky,"
                    " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        health.device,
                        name,
                        state,
                        self.actor.user,
                        self.actor.source,
                        comment,
                        int(sticky),
                        now,
                        expires,
                    ),
                )
                self._record(
                    "acknowledge",
                    health.device,
                    check=name or "host",
                    state=state,
                    comment=comment,
                    sticky=sticky,
                    expires=expires,
                )
        return [a for a in self.open_acks() if a.device == health.device and a.check in found]

    def open_acks(self) -> list[Ack]:
        rows = self.db.read(f"SELECT {_ACK_COLUMNS} FROM acks WHERE ended IS NULL ORDER BY id")
        return [_ack(row) for row in rows]

    def reconcile(self, health: Mapping[str, HostHealth]) -> list[tuple[Ack, str]]:
        """End the acknowledgements whose rules say so, given what is seen now."""
        now = self.clock()
        due: list[tuple[Ack, str]] = []
        for ack in self.open_acks():
            seen = health.get(ack.device)
            current = current_states(seen).get(ack.check, "OK") if seen is not None else None
            if seen is not None and seen.verdict.value == "unpolled":
                current = None
            why = ack_ends(ack, current, now)
            if why is not None:
                due.append((ack, why))
        if not due:
            return []
        ended: list[tuple[Ack, str]] = []
        with self.db.transaction() as db:
            for ack, why in due:
                cursor = db.execute(
                    "UPDATE acks SET ended = ?, end_note = ? WHERE id = ? AND ended IS NULL",
                    (now, why, ack.id),
                )
                if cursor.rowcount:
                    ended.append((ack, why))
                    self._record(
                        "acknowledgement-end", ack.device, check=ack.check or "host", why=why
                    )
        return ended
