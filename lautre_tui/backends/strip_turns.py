"""Turns at a strip's card among the processes of one bastion.

The card allows one CLI session at a time: two admins' apps reading it, or three
`lautre-tui power` started together, would each be told "User 'apc' is already
logged in". A process takes the strip's claim (a flock'd file in the shared
state folder, saying who and what for) before it opens a session, and keeps it
for the session; waiters stand in a queue of ticket files, each flock'd by its
owner so that a waiter that died leaves no ticket behind. The first live ticket
goes next (nobody starves), and a holder that sees someone waiting closes the
card's session as soon as its burst of commands is done, instead of keeping it
idle for others to wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from lautre_tui import locations
from lautre_tui.backends.claims import LOCK_MODE, Claim, Holder, holder_of

POLL = 0.05
Waiting = Callable[[str], None]


class TurnTimeout(Exception):
    """The strip stayed taken for longer than we would wait."""


class StripTurns:
    def __init__(self, pdu: str, user: str, source: str, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else locations.state_dir() / "strips"
        self.pdu = pdu
        self.user = user
        self.source = source
        self.claim = Claim(self.folder / f"{pdu}.lock")
        self.queue = self.folder / f"{pdu}.queue"

    @property
    def held(self) -> bool:
        return self.claim.held

    def holder(self) -> Holder | None:
        return holder_of(self.claim.path)

    async def take(self, doing: str, timeout: float, on_wait: Waiting | None = None) -> float:
        """Wait for our turn and take the strip; the seconds waited. Raises
        TurnTimeout after `timeout`, naming who kept it."""
        locations.private_dir(self.queue)
        started = time.monotonic()
        name = f"{time.time_ns():020d}-{os.getpid()}-{id(self):x}"
        ticket = self.queue / name
        fresh = self.queue / f".{name}"  # locked before it shows in the queue
        fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_EXCL, LOCK_MODE)
        told = ""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # alive for as long as this process waits
            os.write(fd, json.dumps({"user": self.user, "doing": doing}).encode())
            os.rename(fresh, ticket)
            while True:
                other = None
                first = self._first_live()
                if first == ticket.name:
                    other = self.claim.claim(self.user, self.source, _now(), doing)
                    if other is None:
                        return time.monotonic() - started
                other = other or self.holder()
                waited = time.monotonic() - started
                if other is not None:
                    who = f"{other.user}: {other.doing}"
                else:  # between two turns: the one next in line is who we wait for
                    who = self._ticket_owner(first) if first else "another admin"
                if waited > timeout:
                    raise TurnTimeout(
                        f"{self.pdu} stayed taken by {who} for {timeout:.0f} s: try again later"
                    )
                if on_wait is not None and who != told:
                    told = who
                    on_wait(f"waiting for {who}")
                await asyncio.sleep(POLL)
        finally:
            with contextlib.suppress(OSError):
                ticket.unlink()
            os.close(fd)

    def _ticket_owner(self, name: str) -> str:
        """ "admin2: cycle elsa" from a waiter's ticket (written before it shows)."""
        try:
            said = json.loads((self.queue / name).read_text())
            return f"{said['user']}: {said['doing']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another admin"

    def others_waiting(self) -> bool:
        return self._first_live() is not None

    def _first_live(self) -> str | None:
        """The oldest ticket whose owner still waits; dead owners' tickets go."""
        try:
            names = sorted(os.listdir(self.queue))
        except FileNotFoundError:
            return None
        for name in names:
            if name.startswith("."):
                continue
            path = self.queue / name
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return name  # its owner holds it: alive
            finally:
                os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()  # nobody holds it: a waiter that died
        return None

    def release(self) -> None:
        self.claim.release()


def _now() -> str:
    return time.strftime("%H:%M:%S")
