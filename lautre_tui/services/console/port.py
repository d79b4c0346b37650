"""The port side of a console session: the link, its transcript, its listeners."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lautre_tui.backends.claims import Claim
from lautre_tui.backends.serial_port import BreakUnsupported, ConsoleLinkError, SerialLink
from lautre_tui.model.breaks import BreakSequence, LineBreak
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.audit import Actor, AuditLog, AuditUnwritable, utc_now
from lautre_tui.services.console.claim import claim_path
from lautre_tui.services.console.client import DataListener, ShareClient
from lautre_tui.services.console.share import Attendee, ShareServer
from lautre_tui.services.console.target import ConsoleTarget
from lautre_tui.services.console.transcript import Transcript, transcript_path

BUSY_WORDS = (b"busy", b"in use", b"already")
MAX_BACKOFF = 30.0

StatusListener = Callable[[str], None]


class PortSession:
    """What a console session does with its port, when it holds it (see
    `ConsoleSession` for who holds it), and its listeners."""

    def __init__(
        self,
        target: ConsoleTarget,
        *,
        read_only: bool = False,
        audit: AuditLog | None = None,
        actor: Actor | None = None,
    ) -> None:
        self.target = target
        self.read_only = read_only  # a spy: never sends a byte to the port
        self.actor = actor or Actor.current()
        self.audit = audit or AuditLog(actor=self.actor)
        self.state = "closed"
        self.said = "closed"  # the last status text, for a screen opened later
        self.transcript: Transcript | None = None
        self._link: SerialLink | None = None
        self._data: list[DataListener] = []
        self._status: list[StatusListener] = []
        self._notices: list[StatusListener] = []
        self._reconnect: asyncio.Task[None] | None = None
        self._opened_at = 0.0
        self._first_bytes = b""
        self._claim = Claim(claim_path(target.host))
        self._me = Attendee(self.actor.user, self.actor.source, "", self.mode)
        self._server: ShareServer | None = None
        self._client: ShareClient | None = None
        self._listening: asyncio.Task[None] | None = None
        self._closing = False
        self.viewers = 0
        self.history = b""  # the transcript's last screenful when attached, marked as such

    @property
    def mode(self) -> str:
        return "spy" if self.read_only else "writer"

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

    def subscribe(
        self,
        on_data: DataListener,
        on_status: StatusListener,
        on_notice: StatusListener | None = None,
    ) -> None:
        """`on_notice`: messages to everyone on the console, take-overs."""
        self._data.append(on_data)
        self._status.append(on_status)
        if on_notice is not None:
            self._notices.append(on_notice)

    def unsubscribe(
        self,
        on_data: DataListener,
        on_status: StatusListener,
        on_notice: StatusListener | None = None,
    ) -> None:
        with contextlib.suppress(ValueError):
            self._data.remove(on_data)
            self._status.remove(on_status)
            if on_notice is not None:
                self._notices.remove(on_notice)

    def _say(self, state: str, text: str) -> None:
        self.state = state
        self.said = text
        for listener in list(self._status):
            listener(text)

    def _notice(self, text: str) -> None:
        for listener in list(self._notices):
            listener(text)

    def _emit(self, data: bytes | memoryview) -> None:
        for listener in list(self._data):
            listener(data)

    def event(self, text: str) -> None:
        """An event line in the transcript, on screen and to the spies (power actions
        use it too); a spy has no transcript of its own: nothing."""
        if self.transcript is not None:
            self._emit(self.transcript.event(text))

    def _audit(self, action: str, result: str, **details: Any) -> None:
        """The console is the way back into a dead host: an audit log that cannot
        be written never closes it; the transcript and the status line say so."""
        try:
            self.audit.record(action, self.host, result, **details)
        except AuditUnwritable as error:
            self.event(f"{action} NOT in the audit log: {error}")
            self._say(self.state, str(error))

    # -- the port ---------------------------------------------------------------------------

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
            self._say(
                "busy",
                f"console port of {self.host} busy (held outside this bastion); "
                f"transcript: {transcript_path(self.host)}",
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
        """Send keystrokes; False when a spy or not attached (nothing sent)."""
        self._me.last_active = time.monotonic()
        if self._client is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._client.send(type="active")  # for `who`: nothing reaches the port
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

    async def send_break_sequence(self, sequence: BreakSequence) -> None:
        """A named break sequence of the console server, step by step: its text
        through the port's writer, `\\z` as `send_break`, `\\d` a pause after what
        came before reached the port. Audited and in the transcript, as BREAK."""
        link = self._link
        if self.read_only or link is None:
            raise ConsoleLinkError(f"read-only: {sequence.name} not sent")
        if sequence.has_line_break and self.target.protocol is ConsoleProtocol.RAW:
            raise BreakUnsupported(
                f"{sequence.name} holds a BREAK (\\z), which plain TCP ({self.target.url}) "
                "cannot carry: nothing sent"
            )
        for step in sequence.steps:
            if isinstance(step, bytes):
                link.write(step)
                continue
            await link.written()
            if isinstance(step, LineBreak):
                await link.send_break()
            else:
                await asyncio.sleep(step.seconds)
        self.event(
            f"break sequence {sequence.name} ({sequence.sequence}) sent by {self.actor.user} "
            f"at {utc_now()}"
        )
        self._audit(
            "console-break-sequence",
            "ok",
            url=self.target.url,
            name=sequence.name,
            sequence=sequence.sequence,
        )

    async def send_sysrq(self, key: str) -> None:
        """A BREAK and at once the Magic SysRq command `key` (Linux takes it within
        5 s of the BREAK); the transcript and the audit say which."""
        if self.read_only or self._link is None:
            raise ConsoleLinkError("read-only: no SysRq sent")
        await self._link.send_break()
        self._link.write(key.encode())
        self.event(f"BREAK sent by {self.actor.user} at {utc_now()}, then SysRq {key}")
        self._audit("console-sysrq", "ok", url=self.target.url, key=key)

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
