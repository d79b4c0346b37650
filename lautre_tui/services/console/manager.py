"""The console sessions of one process."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from lautre_tui.services.audit import AuditLog
from lautre_tui.services.console.session import ConsoleSession
from lautre_tui.services.console.target import ConsoleTarget


class ConsoleManager:
    """The sessions of this process, one per host; a second open joins the first."""

    def __init__(self, *, read_only: bool = False, audit: AuditLog | None = None) -> None:
        self.read_only = read_only
        self.audit = audit
        self.sessions: dict[str, ConsoleSession] = {}

    async def open(
        self,
        target: ConsoleTarget,
        *,
        read_only: bool = False,
        opening: Future[Any] | None = None,
        force: bool = False,
    ) -> ConsoleSession:
        """The host's session, opened now or joined if this process already has it."""
        session = self.sessions.get(target.host)
        if session is None:
            session = ConsoleSession(
                target, read_only=self.read_only or read_only, audit=self.audit
            )
            await session.attach(opening, force=force)
            self.sessions[target.host] = session
        session.viewers += 1
        return session

    async def close(self, host: str) -> None:
        session = self.sessions.pop(host, None)
        if session is not None:
            await session.detach()

    def event(self, host: str, text: str) -> None:
        """An event line for `host`'s console, if it is open (e.g. a power cycle)."""
        session = self.sessions.get(host)
        if session is not None:
            session.event(text)

    async def close_all(self) -> None:
        for host in list(self.sessions):
            await self.close(host)
