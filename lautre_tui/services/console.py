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
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lautre_tui import locations
from lautre_tui.backends.claims import Claim, Holder, holder_of
from lautre_tui.backends.serial_port import (
    BreakUnsupported,
    ConsoleLinkError,
    SerialLink,
    open_in_background,
)
from lautre_tui.model.layout import ConsoleProtocol, Layout
from lautre_tui.model.loader import protocol_of_url, url_options_problem
from lautre_tui.services.audit import Actor, AuditLog, AuditUnwritable, utc_now

ROTATE_BYTES = 20 * 1024 * 1024
TRANSCRIPT_MODE = 0o640
KEEP_ROTATED = 3
BUSY_WORDS = (b"busy", b"in use", b"already")
MAX_BACKOFF = 30.0

DataListener = Callable[[bytes], None]
StatusListener = Callable[[str], None]

__all__ = [
    "BreakUnsupported",
    "ConsoleHeld",
    "ConsoleLinkError",
    "ConsoleManager",
    "ConsoleSession",
    "ConsoleTarget",
    "Holder",
    "open_in_background",
    "transcript_path",
]


@dataclass(frozen=True, slots=True)
class ConsoleTarget:
    host: str
    url: str
    baud: int
    protocol: ConsoleProtocol
    break_halts: bool = False  # a BREAK stops the machine (SPARC: OpenBoot's `ok`)


def target_for(
    layout: Layout, host: str, *, url: str | None = None, baud: int | None = None
) -> ConsoleTarget:
    """The console of `host` from the layout (or `url` alone, no layout needed)."""
    if url is not None:
        problem = url_options_problem(url)
        if problem is not None:
            raise ConsoleLinkError(f"{url}: {problem}")
        return ConsoleTarget(host, url, baud or 9600, protocol_of_url(url))
    device = layout.devices.get(host)
    if device is None:
        raise ConsoleLinkError(f"no device {host!r} in {layout.source}")
    if device.console is None:
        raise ConsoleLinkError(f"{host} has no console link in {layout.source}")
    server = layout.consoles.get(device.console.server)
    if server is None:
        raise ConsoleLinkError(
            f"console server {device.console.server!r} of {host} is not in {layout.source}"
        )
    return ConsoleTarget(
        host,
        server.url_for(device.console.port),
        baud or device.console.baud,
        server.protocol,
        break_halts=device.console.break_halts,
    )


def backlog(host: str, size: int = 64 * 1024) -> bytes:
    """The end of a console's transcript, to repaint a console screen reopened."""
    try:
        with transcript_path(host).open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - size))
            return file.read()
    except OSError:
        return b""


def consoles_dir() -> Path:
    return locations.state_dir() / "consoles"


def transcript_path(host: str) -> Path:
    return consoles_dir() / f"{host}.log"


def _lock_path(host: str) -> Path:
    return consoles_dir() / f"{host}.lock"


def holder(host: str) -> Holder | None:
    """Who else on this bastion has the console of `host` open, if anyone."""
    return holder_of(_lock_path(host))


class ConsoleHeld(ConsoleLinkError):
    """Another admin of this bastion holds the console: follow it read-only instead."""


FOLLOW_POLL = 0.2


class Transcript:
    """The append-only record of a console, rotated by size as it grows (a flood
    of hours stays within KEEP_ROTATED + 1 files of ROTATE_BYTES). Written by the
    port's reader thread and by the loop's event lines, hence the lock. Readable
    by the bastion's admin group only: root's console output is no one else's."""

    def __init__(self, host: str, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.path = transcript_path(host)
        locations.private_dir(self.path.parent)
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._file = self._open()

    def _open(self) -> BinaryIO:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, TRANSCRIPT_MODE)
        file = os.fdopen(fd, "ab", buffering=0)
        self._size = os.fstat(fd).st_size
        if self._size >= self.rotate_bytes:
            file.close()
            self._rotate()
            return self._open()
        return file

    def _rotate(self) -> None:
        for index in range(KEEP_ROTATED - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def write(self, data: bytes) -> None:
        with self._lock:
            self._file.write(data)
            self._size += len(data)
            if self._size >= self.rotate_bytes:
                self._file.close()
                self._rotate()
                self._file = self._open()

    def event(self, text: str) -> bytes:
        line = f"\r\n[-- {text} --]\r\n".encode()
        self.write(line)
        return line

    def close(self) -> None:
        with self._lock:
            self._file.close()


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
        self._lock = Claim(_lock_path(target.host))
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
                    f"cannot take the console's lock {_lock_path(self.host)}: "
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
        break_lock: bool = False,
    ) -> ConsoleSession:
        """The host's session, opened now or joined if this process already has it."""
        session = self.sessions.get(target.host)
        if session is None:
            session = ConsoleSession(
                target, read_only=self.read_only or read_only, audit=self.audit
            )
            await session.attach(opening, break_lock=break_lock)
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
