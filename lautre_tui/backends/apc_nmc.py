"""APC switched strips through their Network Management Card's command line.

The card only offers an interactive CLI over SSH (exec requests are refused), so
the driver opens a PTY shell, waits for the prompt, sends one command, and reads
up to the next prompt. Replies start with `E000: Success` or an error such as
`E102: Parameter Error` (raised as `PduCommandError` with code and text); outlet
lines look like ` 3: elea: On`, as fence-agents' fence_apc parses them. Banners
and prompts vary between AOS versions (`apc>`, `APC>`, `AP7920>`), so the
prompt is any word followed by `>` at the start of the last line.

The card allows very few sessions: commands are serialised on one session,
kept for a burst and closed when idle. A connection lost mid-command is an
error, never a success.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncssh

from lautre_tui.backends.pdu import Load, OutletState, PduCommandError, PduError
from lautre_tui.backends.ssh import SshConnector, SshError
from lautre_tui.backends.strip_turns import StripTurns, TurnTimeout, Waiting
from lautre_tui.model.layout import SshSettings
from lautre_tui.model.wiring import Pdu

PROMPT = re.compile(r"(?:^|[\r\n])[A-Za-z0-9_.-]*>\s*$")
CODE = re.compile(r"^\s*E(\d{3}):\s*(.*?)\s*$", re.MULTILINE)
OUTLET = re.compile(r"^\s*(\d+):\s*(.*?):\s*(On|Off)\*?\s*$", re.MULTILINE)
BUSY_HINTS = ("already logged in", "in use", "too many sessions")


AMPS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*A\b")
WATTS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(k?)W\b")


@dataclass(frozen=True, slots=True)
class Reply:
    code: str
    text: str
    outlets: dict[int, OutletState]
    text_after: str = ""  # the lines after the E-code line


def sum_of(pattern: re.Pattern[str], text: str) -> float | None:
    """The sum of the figures `pattern` finds (phases add up; kW count as 1000 W)."""
    total, found = 0.0, False
    for match in pattern.finditer(text):
        value = float(match.group(1))
        if len(match.groups()) > 1 and match.group(2) == "k":
            value *= 1000
        total, found = total + value, True
    return round(total, 3) if found else None


def parse_reply(raw: str) -> Reply:
    """The code and outlet lines of one command's output (echo and prompt excluded)."""
    text = raw.replace("\r", "")
    code = CODE.search(text)
    if code is None:
        raise PduError(f"no E-code in the card's reply: {text.strip()[:120]!r}")
    outlets = {
        int(n): OutletState(int(n), name.strip(), state == "On")
        for n, name, state in OUTLET.findall(text)
    }
    if code.group(1) != "000":
        raise PduCommandError(f"E{code.group(1)}", code.group(2))
    return Reply(f"E{code.group(1)}", code.group(2), outlets, text[code.end() :])


# What a waiting admin is told another process is doing with the card.
WHAT_COMMANDS_DO = {
    "olStatus": "reading the outlets",
    "olOn": "switching outlets on",
    "olOff": "switching outlets off",
    "olReboot": "power-cycling outlets",
    "phReading": "reading the load",
    "devReading": "reading the load",
    "current": "reading the load",
    "power": "reading the load",
}


def outlet_list(outlets: list[int]) -> str:
    """`1,3,5` as the card's olOn/olOff/olStatus take them."""
    if not outlets:
        raise PduError("no outlet given")
    return ",".join(str(n) for n in sorted(set(outlets)))


class ApcNmc:
    """A driver for one APC strip; safe to share, commands are queued.

    Commands go in bursts (one action: a cycle's steps and read-backs; one
    reading): within this process a burst has the card to itself, and with
    `turns` the bastion's other processes wait for it too; the card's session is
    closed at the end of a burst when someone waits, else after `idle` seconds."""

    def __init__(
        self,
        pdu: Pdu,
        connector: SshConnector,
        password: str | None,
        *,
        timeout: float = 15.0,
        idle: float = 10.0,
        turns: StripTurns | None = None,
        turn_timeout: float = 60.0,
    ) -> None:
        self.pdu = pdu
        self._connector = connector
        self._password = password
        self.timeout = timeout
        self._idle_seconds = idle
        self.turns = turns
        self.turn_timeout = turn_timeout
        self.on_wait: Waiting | None = None  # told "waiting for admin2: cycle elsa"
        self.waited = 0.0  # seconds the last burst waited for its turn
        self._burst: asyncio.Task[object] | None = None
        self._lock = asyncio.Lock()
        self._connection: asyncssh.SSHClientConnection | None = None
        self._process: asyncssh.SSHClientProcess[str] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    # -- the actions ------------------------------------------------------------------

    async def status(self, outlets: list[int] | None = None) -> dict[int, OutletState]:
        argument = outlet_list(outlets) if outlets else "all"
        reply = await self.command(f"olStatus {argument}")
        return reply.outlets

    async def switch(self, outlets: list[int], on: bool) -> None:
        await self.command(f"{'olOn' if on else 'olOff'} {outlet_list(outlets)}")

    async def load(self) -> Load:
        """The strip's load, as its card's CLI gives it: rPDU2g cards (AOS v3+)
        answer `phReading all current` per phase and `devReading power`; older
        Switched Rack PDU firmware answers `current` and `power`. A card that
        knows neither says E101: the load is then unknown, not an error."""
        amps = watts = None
        for line in ("phReading all current", "current"):
            try:
                amps = sum_of(AMPS, (await self.command(line)).text_after)
                break
            except PduCommandError as error:
                if error.code != "E101":
                    raise
        for line in ("devReading power", "power"):
            try:
                watts = sum_of(WATTS, (await self.command(line)).text_after)
                break
            except PduCommandError as error:
                if error.code != "E101":
                    raise
        return Load(amps, watts)

    async def reboot(self, outlets: list[int]) -> None:
        """The card's own off-wait-on: it completes even if we lose the card."""
        await self.command(f"olReboot {outlet_list(outlets)}")

    # -- the session --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def burst(self, doing: str) -> AsyncIterator[None]:
        """The card to ourselves for a few commands (from this task)."""
        if self._burst is asyncio.current_task():
            yield  # already inside this task's burst
            return
        async with self._lock:
            self._cancel_idle()
            self.waited = 0.0
            if self.turns is not None and not self.turns.held:
                try:
                    self.waited = await self.turns.take(doing, self.turn_timeout, self.on_wait)
                except TurnTimeout as error:
                    raise PduBusy(str(error)) from error
            self._burst = asyncio.current_task()
            try:
                yield
            finally:
                self._burst = None
                if self.turns is not None and self.turns.others_waiting():
                    await self.close()  # someone waits: the card's only session goes now
                elif self._process is not None:
                    self._arm_idle()
                else:
                    self._release()

    async def command(self, line: str) -> Reply:
        """Send one command on the (re)used session and parse its reply."""
        async with self.burst(WHAT_COMMANDS_DO.get(line.split(" ", 1)[0], "using the card")):
            process = await self._session()
            try:
                process.stdin.write(line + "\r")
                raw = await asyncio.wait_for(self._read_to_prompt(process), self.timeout)
            except (asyncio.TimeoutError, TimeoutError) as error:
                await self._drop()
                raise PduError(
                    f"{self.pdu.name}: no answer to {line!r} within {self.timeout:.0f} s"
                ) from error
            except (asyncssh.Error, OSError, EOFError, BrokenPipeError) as error:
                await self._drop()
                raise PduError(f"{self.pdu.name}: connection lost during {line!r}") from error
            return parse_reply(raw)  # an echoed command matches neither pattern

    async def _session(self) -> asyncssh.SSHClientProcess[str]:
        if self._process is not None and not self._process.is_closing():
            return self._process
        settings = SshSettings(
            host=self.pdu.host,
            port=self.pdu.port,
            user=self.pdu.user,
            known_hosts=self.pdu.known_hosts,
        )
        try:
            self._connection = await self._connector.connect(settings, password=self._password)
            self._process = await self._connection.create_process(term_type="vt100")
            # the banner (its wording varies with AOS versions) is read up to the prompt
            await asyncio.wait_for(self._read_to_prompt(self._process), self.timeout)
        except SshError as error:
            raise PduError(f"{self.pdu.name}: {error}") from error
        except (asyncio.TimeoutError, TimeoutError, asyncssh.Error, EOFError) as error:
            await self._drop()
            raise PduError(f"{self.pdu.name}: the card gave no prompt") from error
        except PduError:
            await self._drop()
            raise
        return self._process

    @staticmethod
    async def _read_to_prompt(process: asyncssh.SSHClientProcess[str]) -> str:
        buffer = ""
        while True:
            chunk = await process.stdout.read(4096)
            if not chunk:
                lowered = buffer.lower()
                if any(hint in lowered for hint in BUSY_HINTS):
                    raise PduBusy(buffer.strip().splitlines()[-1] if buffer.strip() else "busy")
                raise EOFError(buffer[-200:])
            buffer += chunk
            prompt = PROMPT.search(buffer)
            if prompt is not None:
                return buffer[: prompt.start()]

    def _arm_idle(self) -> None:
        self._cancel_idle()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self._idle_seconds, self._start_idle_close)

    def _release(self) -> None:
        if self.turns is not None:
            self.turns.release()

    def _start_idle_close(self) -> None:
        task = asyncio.get_running_loop().create_task(self._idle_close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _idle_close(self) -> None:
        """Close when idle, under the command lock: a command arriving meanwhile
        waits, then opens a fresh session that this close can no longer touch."""
        async with self._lock:
            if self._idle is not None and not self._idle.cancelled():
                await self.close()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    async def _drop(self) -> None:
        if self._connection is not None:
            self._connection.abort()
        self._connection, self._process = None, None
        if self._burst is None:
            self._release()

    async def close(self) -> None:
        """Log out politely and close (the card frees its only session)."""
        self._cancel_idle()
        if self._process is not None and not self._process.is_closing():
            with contextlib.suppress(Exception):
                self._process.stdin.write("exit\r")
        if self._connection is not None:
            self._connection.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection.wait_closed(), 2)
        self._connection, self._process = None, None
        self._release()


class PduBusy(PduError):
    """The card's only CLI session is taken (by another admin, or a stuck session)."""
