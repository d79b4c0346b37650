"""Console sessions: the emergency path to a host, independent of SSH and the poller.

One session per port per process (a second open joins it). One process of the
bastion holds a console's port (its claim, `consoles/HOST.lock`) and records
everything the port sends in `consoles/HOST.log` with event lines in the flow
(attach, break, baud, detach, reconnect, take-over, power actions); what the
admin types is not (passwords). Any number of spies watch it live through the
holder's socket (`share`). A spy first on a console nobody holds holds it itself,
only watching, until a writer comes (it then hands the port over and watches the
writer's stream). A writer facing another writer is told who; `force` asks the
holder to give the port up (it becomes a spy), or breaks a hung holder's claim.
A lost connection says so in the flow and reconnects with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import Future
from typing import Any

from lautre_tui.backends.claims import Holder
from lautre_tui.backends.serial_port import (
    BreakUnsupported,
    ConsoleLinkError,
    open_in_background,
)
from lautre_tui.services.audit import utc_now
from lautre_tui.services.console.claim import (
    WATCHING,
    ConsoleHeld,
    attendees,
    claim_path,
    describe,
    holder,
    share_path,
)
from lautre_tui.services.console.client import BEHIND, ShareClient, TurnedAway
from lautre_tui.services.console.history import replay
from lautre_tui.services.console.port import MAX_BACKOFF, PortSession
from lautre_tui.services.console.share import ShareServer, signed
from lautre_tui.services.console.transcript import Transcript

JOIN_WAIT = 5.0  # for the holder's socket to answer (it listens before opening the port)
TAKEOVER_WAIT = 5.0  # for a holder asked to give up; then its claim is broken
FALLS_REMEMBERED = 60.0  # seconds during which falling behind again counts as again


def pause_after(falls: int) -> float:
    """Before a spy that fell behind `falls` times lately joins again: at once the
    first time; then 1, 2, 4… s, at most MAX_BACKOFF, so that a machine too busy for
    a long flood does not rejoin (and audit it) several times a second."""
    return 0.0 if falls <= 1 else min(MAX_BACKOFF, 2.0 ** (falls - 2))


__all__ = [
    "BreakUnsupported",
    "ConsoleHeld",
    "ConsoleLinkError",
    "ConsoleSession",
    "Holder",
    "open_in_background",
]


class ConsoleSession(PortSession):
    """A console of this process: the port held here (writer, or a spy first there),
    or a spy of the process that holds it. Every viewer subscribes to it."""

    @property
    def holding(self) -> bool:
        """This process holds the port (and feeds the spies)."""
        return self._claim.held

    # -- who holds it ---------------------------------------------------------------------

    async def attach(
        self, opening: Future[Any] | None = None, *, force: bool = False, break_lock: bool = False
    ) -> None:
        """A writer claims the console, then opens the port (or takes `opening`, an
        open already under way); `force` takes it from another writer (audited).
        A spy joins the holder's stream, or holds the port itself, only watching,
        when nobody does. Raises ConsoleHeld, or ConsoleLinkError if the port cannot
        be opened now."""
        self._closing = False
        self._falls: list[float] = []  # when this spy fell behind lately
        self._me.since = utc_now()
        self.history = replay(self.host)
        if self.read_only:
            await self._join(may_hold=True)
            return
        other = self._try_claim()
        if other is not None:
            if other.doing != WATCHING and not (force or break_lock):
                raise ConsoleHeld(describe(self.host, other, await attendees(self.host)), other)
            await self._take_from(other)
        try:
            await self._hold(opening)
        except BaseException:
            self._claim.release()
            raise
        self.event(f"attached by {self.actor.user} from {self.actor.source} at {utc_now()}")
        self._audit("console-attach", "ok", url=self.target.url, read_only=False)

    def _try_claim(self, doing: str = "") -> Holder | None:
        try:
            return self._claim.claim(self.actor.user, self.actor.source, self._me.since, doing)
        except OSError as error:
            raise ConsoleLinkError(
                f"cannot take the console's claim {claim_path(self.host)}: "
                f"{error.strerror or error}"
            ) from error

    async def _take_from(self, other: Holder) -> None:
        """Ask the holder to give the port up (it becomes a spy of ours); a holder
        that does not answer is hung: its claim is broken (it keeps a nameless one)."""
        answer: dict[str, Any] | None = None
        try:
            client = await ShareClient.connect(share_path(self.host), timeout=TAKEOVER_WAIT)
        except TurnedAway as error:  # alive, and busy: its claim is no hung holder's
            raise ConsoleHeld(f"{describe(self.host, other)}; {error}", other) from error
        except OSError:
            client = None
        if client is not None:
            try:
                answer = await client.ask(
                    TAKEOVER_WAIT, type="takeover", user=self.actor.user, source=self.actor.source
                )
            finally:
                client.close()
        if answer is None or answer.get("type") != "released":
            self._claim.break_lock()
            self._audit("console-break-lock", "ok", held_by=other.user, pid=other.pid)
        deadline = time.monotonic() + TAKEOVER_WAIT
        while (now := self._try_claim()) is not None:
            if now.pid not in (0, other.pid):  # someone else took it meanwhile (0: being written)
                raise ConsoleHeld(describe(self.host, now), now)
            if time.monotonic() > deadline:
                raise ConsoleHeld(f"{describe(self.host, now)}: it did not let go", now)
            await asyncio.sleep(0.02)
        if other.doing != WATCHING:
            self._audit("console-take-over", "ok", held_by=other.user, pid=other.pid)

    async def _hold(self, opening: Future[Any] | None) -> None:
        """With the claim: listen for spies, then open the port and record it."""
        self._server = ShareServer(share_path(self.host), self._me, self._request)
        try:
            await self._server.start()
            self.transcript = Transcript(self.host, tap=self._server.tap)
        except OSError as error:
            await self._stop_holding()
            raise ConsoleLinkError(
                f"cannot share the console in {share_path(self.host).parent}: "
                f"{error.strerror or error}"
            ) from error
        try:
            await self._open(opening)
        except BaseException:
            await self._stop_holding()
            raise

    async def _stop_holding(self, **farewell: Any) -> None:
        """Close the port, tell the spies `farewell`, and let the claim go (last:
        the next holder binds the socket only once it has the claim)."""
        try:
            await self._close_port()
            if self.transcript is not None:
                self.transcript.close()
                self.transcript = None
            if self._server is not None:
                server, self._server = self._server, None
                await server.close(**(farewell or {"type": "bye", "why": "the holder left"}))
        finally:
            self._claim.release()

    async def _close_port(self) -> None:
        """No more reconnecting, and the port closed (closing twice does nothing)."""
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
            self._reconnect = None
        await self._close_link()

    async def _request(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """What someone on the holder's socket asks."""
        kind = request.get("type")
        if kind == "who" and self._server is not None:
            return {"type": "who", "attendees": self._server.attendees()}
        user, account = str(request.get("user", "?")), str(request.get("account", ""))
        if kind == "message":
            self._broadcast(signed(user, account), str(request.get("text", "")))
        elif kind == "takeover":
            server = self._server
            if server is not None and not server.closing:
                server.closing = True  # from now: a second asker is only answered
                await self._give_up(user, account, str(request.get("source", "?")))
            return {"type": "released"}  # to a second asker too: the claim decides
        return None

    async def _give_up(self, user: str, account: str, source: str) -> None:
        """Another admin takes the console: close the port and watch theirs. The
        transcript and the audit say the account it runs as, where it differs."""
        self.event(f"console taken over by {signed(user, account)} from {source} at {utc_now()}")
        self._audit("console-taken-over", "ok", by=user, account=account, source=source)
        await self._stop_holding(type="taken", by=user)
        self.read_only, self._me.mode = True, "spy"
        self._notice(f"{user} took the console")
        self._say("joining", f"{user} took the console; watching it (read-only)…")
        self._listening = asyncio.get_running_loop().create_task(self._rejoin(taken=True))

    async def _join(self, *, may_hold: bool) -> None:
        """Watch the holder's stream; hold the port, only watching, if nobody does."""
        deadline = time.monotonic() + JOIN_WAIT
        turned_away = ""  # what the holder said, if it answered with a refusal
        while True:
            other = holder(self.host)
            if other is None and may_hold and self._try_claim(WATCHING) is None:
                try:
                    await self._hold(None)
                except BaseException:
                    self._claim.release()
                    raise
                self.event(
                    f"attached (watching) by {self.actor.user} from {self.actor.source} "
                    f"at {utc_now()}"
                )
                self._audit("console-attach", "ok", url=self.target.url, read_only=True)
                return
            client: ShareClient | None = None
            try:
                client = await ShareClient.connect(share_path(self.host), on_data=self._emit)
            except TurnedAway as error:
                turned_away = str(error)
            except OSError:
                pass
            if client is not None and other is not None:
                client.send(type="hello", **self._me.public())
                self._client = client
                self._say("spy", f"watching (read-only): {describe(self.host, other)}")
                self._audit("console-spy", "ok", held_by=other.user)
                self._listening = asyncio.get_running_loop().create_task(self._listen(client))
                return
            if client is not None:
                client.close()
            if time.monotonic() > deadline:
                who = describe(self.host, other) if other else "nobody holds it"
                why = turned_away or f"its process does not answer on {share_path(self.host)}"
                raise ConsoleLinkError(
                    f"the console of {self.host} cannot be watched: {who}; {why}"
                )
            await asyncio.sleep(0.05)

    async def _listen(self, client: ShareClient) -> None:
        """A spy: the holder's messages (its stream goes to `_emit` as it comes),
        until it ends; then join again."""
        why, taken = "the console's holder ended", False
        pause = 0.0
        while (said := await client.next_message()) is not None:
            if said.get("type") == "message":
                self._notice(f"{said.get('user', '?')}: {said.get('text', '')}")
            elif said.get("type") == "taken":
                why, taken = f"{said.get('by', '?')} took the console", True
            elif said.get("type") == "bye":
                why = str(said.get("why", why))
                pause = self._fell_behind() if why == BEHIND else 0.0
        client.close()
        self._client = None
        if not self._closing:
            self._notice(why)
            when = f" in {pause:.0f} s" if pause else ""
            self._say("joining", f"{why}; joining again{when}…")
            await asyncio.sleep(pause)
            await self._rejoin(taken=taken)

    def _fell_behind(self) -> float:
        now = time.monotonic()
        self._falls = [at for at in self._falls if now - at < FALLS_REMEMBERED] + [now]
        return pause_after(len(self._falls))

    async def _rejoin(self, *, taken: bool) -> None:
        """After a take-over only the new writer's stream is joined (no claim is
        taken in its way); after a holder left, a spy may hold the port itself."""
        delay = 0.2
        while not self._closing:
            try:
                await self._join(may_hold=not taken)
                return
            except ConsoleLinkError as error:
                self._say("joining", f"{error}; retrying in {delay:.0f} s")
            await asyncio.sleep(delay)
            delay, taken = min(MAX_BACKOFF, delay * 2), False

    # -- everyone on the console ------------------------------------------------------------

    async def who(self) -> list[dict[str, Any]]:
        """Everyone attached: user, source, since, mode, pid, idle seconds."""
        if self._server is not None:
            return self._server.attendees()
        return await attendees(self.host) or []

    def tell_everyone(self, text: str) -> None:
        """A one-line message to everyone on this console (shown in their footer)."""
        text = " ".join(text.split())[:300]
        if self._server is not None:
            self._broadcast(signed(self.actor.user, self._me.account), text)
        elif self._client is not None:
            self._client.send(type="message", user=self.actor.user, text=text)

    def _broadcast(self, user: str, text: str) -> None:
        if self._server is not None:
            self._server.broadcast(type="message", user=user, text=text)
        self._notice(f"{user}: {text}")

    async def detach(self) -> None:
        self._closing = True
        if self._listening is not None and self._listening is not asyncio.current_task():
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        self._listening = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.holding:
            await self._close_port()  # before the transcript's last line
            self.event(f"detached by {self.actor.user} at {utc_now()}")
            self._audit("console-detach", "ok", url=self.target.url)
            await self._stop_holding(type="bye", why=f"{self.actor.user} detached")
        self._say("closed", "detached")
