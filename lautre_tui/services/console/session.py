"""Console sessions: the emergency path to a host, independent of SSH and the poller.

One session per port per process (a second open joins it). Everything the port
sends is appended to `$XDG_STATE_HOME/lautre-tui/consoles/HOST.log` with event
lines in the flow (attach, break, baud, detach, reconnect, power actions);
what the admin types is not (passwords). A lost connection says so in the flow
and reconnects with back-off. A lock file beside the transcript tells other
admins of this bastion who holds the port and since when; a port another admin
holds elsewhere answers "busy", and the transcript can be followed read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lautre_tui.backends.claims import Claim, Holder, holder_of
from lautre_tui.backends.serial_port import (
    BreakUnsupported,
    ConsoleLinkError,
    SerialLink,
    open_in_background,
)
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.audit import Actor, AuditLog, AuditUnwritable, utc_now
from lautre_tui.services.console.target import ConsoleTarget
from lautre_tui.services.console.transcript import (
    Transcript,
    backlog,
    consoles_dir,
    transcript_path,
)

BUSY_WORDS = (b"busy", b"in use", b"already")
MAX_BACKOFF = 30.0

DataListener = Callable[[bytes], None]
StatusListener = Callable[[str], None]

__all__ = [
    "BreakUnsupported",
    "ConsoleHeld",
    "ConsoleLinkError",
    "ConsoleSession",
    "Holder",
    "open_in_background",
]


def claim_path(host: str) -> Path:
    return consoles_dir() / f"{host}.lock"


def holder(host: str) -> Holder | None:
    """Who else on this bastion has the console of `host` open, if anyone."""
    return holder_of(claim_path(host))


class ConsoleHeld(ConsoleLinkError):
    """Another admin of this bastion holds the console: follow it read-only instead."""


FOLLOW_POLL = 0.2


class ConsoleSession:
    """A console port held by this process; every viewer subscribes to it."""

    def __init__(
        self,
        target: ConsoleTarget,
        *,
        read_only: bool = False,
        audit: AuditLog | None = None,
        actor: Actor | None = None,
    ) -> None:
        self.target = target
        self.read_only = read_only
        self.actor = actor or Actor.current()
        self.audit = audit or AuditLog(actor=self.actor)
        self.state = "closed"
        self.transcript: Transcript | None = None
        self._link: SerialLink | None = None
        self._data: list[DataListener] = []
        self._status: list[StatusListener] = []
        self._reconnect: asyncio.Task[None] | None = None
        self._opened_at = 0.0
        self._first_bytes = b""
        self._follow_task: asyncio.Task[None] | None = None
        self._lock = Claim(claim_path(target.host))
        self.viewers = 0

    @property
    def host(self) -> str:
        return self.target.host

    @property
    def line_baud(self) -> int | None:
        """The speed the line really runs at, when the server said (see SerialLink)."""
        return self._link.line_baud if self._link is not None else None

    @property
    def baud_text(self) -> str:
        """For the header: `9600 baud`, or `baud set by the server` when unknown."""
        if self._link is None:
            return f"{self.target.baud} baud"
        return self._link.baud_text

    def subscribe(self, on_data: DataListener, on_status: StatusListener) -> None:
        self._data.append(on_data)
        self._status.append(on_status)

    def unsubscribe(self, on_data: DataListener, on_status: StatusListener) -> None:
        with contextlib.suppress(ValueError):
            self._data.remove(on_data)
            self._status.remove(on_status)

    def _say(self, state: str, text: str) -> None:
        self.state = state
        for listener in list(self._status):
            listener(text)

    def _emit(self, data: bytes) -> None:
        for listener in list(self._data):
            listener(data)

    def event(self, text: str) -> None:
        """An event line in the transcript and on screen (power actions use it too)."""
        if self.transcript is not None:
            self._emit(self.transcript.event(text))

    # -- lifecycle ---------------------------------------------------------------------

    async def attach(self, opening: Future[Any] | None = None, *, break_lock: bool = False) -> None:
        """Claim the console, then open the port (or take `opening`, an open already
        under way); raise ConsoleLinkError if it cannot be opened now. `break_lock`
        takes the console from a holder that is alive but hung (audited)."""
        other = holder(self.host)
        if other is not None and not self.read_only and break_lock:
            self._lock.break_lock()
            self._audit("console-break-lock", "ok", held_by=other.user, pid=other.pid)
            other = None
        if other is None and not self.read_only:
            try:
                other = self._lock.claim(self.actor.user, self.actor.source, utc_now())
            except OSError as error:
                raise ConsoleLinkError(
                    f"cannot take the console's lock {claim_path(self.host)}: "
                    f"{error.strerror or error}"
                ) from error
        if other is not None:
            if not self.read_only:
                raise ConsoleHeld(
                    f"the console of {self.host} is held by {other.user} from {other.source} "
                    f"since {other.since} (pid {other.pid}); open it read-only to follow its "
                    f"transcript ({transcript_path(self.host)}), or --break-lock if that "
                    "session is hung"
                )
            self._follow_task = asyncio.get_running_loop().create_task(self._follow(other))
            self._audit("console-follow", "ok", held_by=other.user)
            return
        try:
            try:
                self.transcript = self.transcript or Transcript(self.host)
            except OSError as error:
                raise ConsoleLinkError(
                    f"cannot write the transcript {transcript_path(self.host)}: "
                    f"{error.strerror or error}"
                ) from error
            await self._open(opening)
        except BaseException:
            self._lock.release()
            raise
        mode = " (read-only)" if self.read_only else ""
        self.event(f"attached{mode} by {self.actor.user} from {self.actor.source} at {utc_now()}")
        self._audit("console-attach", "ok", url=self.target.url, read_only=self.read_only)

    def _audit(self, action: str, result: str, **details: Any) -> None:
        """The console is the way back into a dead host: an audit log that cannot
        be written never closes it; the transcript and the status line say so."""
        try:
            self.audit.record(action, self.host, result, **details)
        except AuditUnwritable as error:
            self.event(f"{action} NOT in the audit log: {error}")
            self._say(self.state, str(error))

    async def _follow(self, other: Holder) -> None:
        """Show what the holder's session writes to the transcript, as it grows."""
        self._say(
            "following",
            f"following the transcript: the console is held by "
            f"{other.user} since {other.since} (read-only)",
        )
        path = transcript_path(self.host)
        self._emit(backlog(self.host))
        offset = path.stat().st_size if path.exists() else 0
        while True:
            await asyncio.sleep(FOLLOW_POLL)
            try:
                with path.open("rb") as file:
                    file.seek(offset)
                    data = file.read()
            except OSError:
                continue
            if data:
                offset += len(data)
                self._emit(data)

    async def _open(self, opening: Future[Any] | None = None) -> None:
        link = SerialLink(
            self.target.url,
            self.target.baud,
            self.target.protocol,
            on_data=self._received,
            on_lost=self._lost,
            record=self.transcript.write if self.transcript is not None else None,
        )
        self._say("connecting", f"connecting to {self.target.url}…")
        await link.open(opening)
        self._link = link
        self._opened_at = asyncio.get_running_loop().time()
        self._first_bytes = b""
        self._say("attached", "attached")  # the header already says the URL and the baud
        if link.tolerated:
            self.event(f"the console server left unanswered: {'; '.join(link.tolerated)}")

    def _received(self, data: bytes) -> None:
        if asyncio.get_running_loop().time() - self._opened_at < 2:
            self._first_bytes = (self._first_bytes + data)[-400:]
        self._emit(data)

    def _lost(self, reason: str) -> None:
        recent = asyncio.get_running_loop().time() - self._opened_at < 2
        if recent and any(word in self._first_bytes.lower() for word in BUSY_WORDS):
            other = holder(self.host)
            who = f": held by {other.user} since {other.since}" if other else ""
            self._say(
                "busy",
                f"console port of {self.host} busy{who}; transcript: {transcript_path(self.host)}",
            )
            self.event(f"port busy at {utc_now()}")
            return
        self.event(f"connection to {self.target.url} lost ({reason}), reconnecting… at {utc_now()}")
        self._say("lost", f"connection to {self.target.url} lost, reconnecting…")
        self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self, delay: float = 0.5) -> None:
        while True:
            await asyncio.sleep(delay)
            try:
                await self._close_link()
                await self._open()
                self.event(f"reconnected at {utc_now()}")
                return
            except ConsoleLinkError as error:
                self._say("lost", f"{error}; retrying in {delay:.0f} s")
                delay = min(MAX_BACKOFF, delay * 2) * random.uniform(0.8, 1.2)

    async def reconnect(self) -> None:
        """Reconnect now (escape menu `r`)."""
        if self._reconnect is not None:
            self._reconnect.cancel()
        await self._close_link()
        self.event(f"reconnect asked by {self.actor.user} at {utc_now()}")
        self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop(0))

    # -- from the admin -------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Send keystrokes; False when read-only or not attached (nothing sent)."""
        if self.read_only or self._link is None or self.state != "attached":
            return False
        self._link.write(data)
        return True

    async def send_break(self) -> None:
        if self.read_only or self._link is None:
            raise ConsoleLinkError("read-only: no BREAK sent")
        await self._link.send_break()
        self.event(f"BREAK sent by {self.actor.user} at {utc_now()}")
        self._audit("console-break", "ok", url=self.target.url)

    async def set_baud(self, baud: int) -> None:
        if self._link is None:
            raise ConsoleLinkError("not attached")
        await self._link.set_baud(baud)
        self.target = dataclasses.replace(self.target, baud=baud)
        said = self._link.line_baud
        unconfirmed = (
            f" (the server says {self._link.baud_text})"
            if self.target.protocol is ConsoleProtocol.RFC2217 and said != baud
            else ""
        )
        self.event(f"baud rate set to {baud}{unconfirmed} by {self.actor.user} at {utc_now()}")

    async def _close_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    async def detach(self) -> None:
        if self._follow_task is not None:
            self._follow_task.cancel()
            self._say("closed", "stopped following")
            return
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        await self._close_link()
        self.event(f"detached by {self.actor.user} at {utc_now()}")
        self._audit("console-detach", "ok", url=self.target.url)
        if self.transcript is not None:
            self.transcript.close()
            self.transcript = None
        self._lock.release()
        self._say("closed", "detached")
