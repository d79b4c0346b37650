"""A console port through pyserial, read in a thread and handed to asyncio.

`serial.serial_for_url()` drives `rfc2217://`, `socket://` and `/dev/tty*` alike,
so the same code works with a real console server. pyserial blocks, so reads
run in a thread: one blocking `read(1)` with a short timeout (an echo comes back
at once), then a drain of whatever is waiting — with timeout 0 for sockets and
ttys (pyserial's `in_waiting` only ever says 0 or 1 there), and by `in_waiting`
for RFC 2217 (changing its timeout would renegotiate the port). Writes go
through a second thread so that a stalled line never blocks the event loop.

RFC 2217 goes through `TolerantRfc2217` (`backends.tolerant_rfc2217`), telnet
ports through `TelnetFilter` (`backends.telnet`). Nothing here sends a BREAK
unless asked: opening, closing and reconnecting never touch the break condition.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future

import serial

from lautre_tui.backends.telnet import BRK, IAC, TelnetFilter
from lautre_tui.backends.tolerant_rfc2217 import TolerantRfc2217, with_ign_set_control
from lautre_tui.model.layout import ConsoleProtocol

READ_TIMEOUT = 0.05
DRAIN = 256 * 1024  # a flood in few reads: 64 KB ones cost a third more CPU per MB
# What waits for the screen: a flood beyond it is dropped for display only (the
# transcript, written by the reader thread itself, keeps every byte).
DISPLAY_BUFFER = 256 * 1024
SWITCH_INTERVAL = 0.0005  # 5 ms by default: a keystroke's echo would wait that long
WRITTEN_WAIT = 10.0  # for queued keystrokes to reach the port before a BREAK or a pause


SERVER_BAUD_UNKNOWN = "baud set by the server"


def open_port(url: str, baud: int) -> serial.SerialBase:
    if url.startswith("rfc2217://"):
        tolerant: serial.SerialBase = TolerantRfc2217(
            with_ign_set_control(url), baudrate=baud, timeout=READ_TIMEOUT
        )
        return tolerant
    port: serial.SerialBase = serial.serial_for_url(url, baudrate=baud, timeout=READ_TIMEOUT)
    return port


def open_in_background(url: str, baud: int) -> Future[serial.SerialBase]:
    """Start opening a port in a thread now; hand the future to `SerialLink.open`."""
    opening: Future[serial.SerialBase] = Future()

    def run() -> None:
        try:
            opening.set_result(open_port(url, baud))
        except BaseException as error:  # the future carries it to whoever waits
            opening.set_exception(error)

    threading.Thread(target=run, name=f"console open {url}", daemon=True).start()
    return opening


class ConsoleLinkError(Exception):
    """The port could not be opened or was lost; `str()` is shown to the admin."""


class BreakUnsupported(ConsoleLinkError):
    pass


class SerialLink:
    """One open console port; `on_data` and `on_lost` are called in the loop."""

    def __init__(
        self,
        url: str,
        baud: int,
        protocol: ConsoleProtocol,
        *,
        on_data: Callable[[bytes], None],
        on_lost: Callable[[str], None],
        record: Callable[[bytes], None] | None = None,
    ) -> None:
        self.url = url
        self.baud = baud
        self.protocol = protocol
        self._on_data = on_data
        self._on_lost = on_lost
        self._record = record
        self._inbox: collections.deque[bytes] = collections.deque()  # the reads, not copied
        self._inbox_bytes = 0
        self._inbox_lock = threading.Lock()
        self._delivery_scheduled = False
        self.dropped = 0  # bytes not shown because the screen could not keep up
        self._port: serial.SerialBase | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writes: queue.Queue[bytes | Future[None] | None] = queue.Queue()
        self._running = False
        self._threads: list[threading.Thread] = []
        self._telnet = TelnetFilter() if protocol is ConsoleProtocol.TELNET else None

    async def open(self, opening: Future[serial.SerialBase] | None = None) -> None:
        """Open the port (RFC 2217 negotiates for ≈0.35 s) and start reading.

        `opening` is an open already under way (see `open_in_background`), so that
        the negotiation overlaps with the app's own start-up."""
        self._loop = asyncio.get_running_loop()
        try:
            if opening is not None:
                self._port = await asyncio.wrap_future(opening)
            else:
                self._port = await asyncio.to_thread(open_port, self.url, self.baud)
        except (serial.SerialException, OSError, ValueError) as error:
            raise ConsoleLinkError(f"cannot open {self.url}: {error}") from error
        raw = getattr(self._port, "_socket", None)
        if isinstance(raw, socket.socket):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._running = True
        self._threads = [
            threading.Thread(target=self._read_loop, name=f"console read {self.url}", daemon=True),
            threading.Thread(
                target=self._write_loop, name=f"console write {self.url}", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()

    # -- threads ----------------------------------------------------------------------

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None and self._loop is not None
        drain_by_count = self.protocol is ConsoleProtocol.RFC2217
        reason = "closed"
        try:
            while self._running:
                data = port.read(1)
                if not data:
                    continue
                if drain_by_count:
                    waiting = port.in_waiting
                    if waiting:
                        data += port.read(waiting)
                else:
                    port.timeout = 0
                    data += port.read(DRAIN)
                    port.timeout = READ_TIMEOUT
                if self._telnet is not None:
                    data, reply = self._telnet.feed(data)
                    if reply:
                        self._writes.put(reply)
                if data:
                    if self._record is not None:
                        self._record(data)
                    self._hand_over(data)
        except (serial.SerialException, OSError, TypeError, AttributeError) as error:
            reason = str(error) or error.__class__.__name__
        if self._running:
            self._running = False
            self._to_loop(self._on_lost, reason)

    def _hand_over(self, data: bytes) -> None:
        """Queue bytes for the loop, at most DISPLAY_BUFFER of them, with at most one
        callback pending: a flood can neither fill memory nor the loop's queue."""
        assert self._loop is not None
        with self._inbox_lock:
            self._inbox.append(data)
            self._inbox_bytes += len(data)
            excess = self._inbox_bytes - DISPLAY_BUFFER
            while excess > 0:  # the oldest reads go, the one cut in the middle is sliced
                oldest = self._inbox.popleft()
                if len(oldest) > excess:
                    self._inbox.appendleft(oldest[excess:])
                gone = min(excess, len(oldest))
                self._inbox_bytes -= gone
                self.dropped += gone
                excess -= gone
            if self._delivery_scheduled:
                return
            self._delivery_scheduled = True
        self._to_loop(self._deliver)

    def _to_loop(self, callback: Callable[..., object], *args: object) -> None:
        """From a link thread: a loop closed meanwhile (the app quit while bytes
        came) has nobody left to tell, and must not end the thread with a traceback."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    def _deliver(self) -> None:
        with self._inbox_lock:
            reads, self._inbox = self._inbox, collections.deque()
            self._inbox_bytes = 0
            self._delivery_scheduled = False
        for data in reads:  # as read: joining them cost a copy, and fresh pages, per batch
            self._on_data(data)

    def _write_loop(self) -> None:
        while True:
            data = self._writes.get()
            if data is None or self._port is None:
                return
            if isinstance(data, Future):
                data.set_result(None)  # what was queued before it is written
                continue
            try:
                self._port.write(data)
            except (serial.SerialException, OSError):
                return

    # -- from the loop ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._telnet is not None:
            data = data.replace(IAC, IAC + IAC)
        self._writes.put(data)

    async def written(self) -> None:
        """Wait until what was written so far has reached the port: a break
        sequence's BREAK or pause comes after its text, not beside it."""
        done: Future[None] = Future()
        self._writes.put(done)
        try:
            await asyncio.wait_for(asyncio.wrap_future(done), WRITTEN_WAIT)
        except TimeoutError as error:
            raise ConsoleLinkError(f"{self.url}: the port takes no more bytes") from error

    async def send_break(self, duration: float = 0.25) -> None:
        """A BREAK: RFC 2217 and ttys by the line, telnet by IAC BRK; raw TCP cannot."""
        if self.protocol is ConsoleProtocol.TELNET:
            self._writes.put(IAC + BRK)
            return
        if self.protocol is ConsoleProtocol.RAW or self._port is None:
            raise BreakUnsupported(
                f"{self.url} is plain TCP: it cannot carry a BREAK "
                "(use the console server's RFC 2217 or telnet port)"
            )
        await asyncio.to_thread(self._port.send_break, duration)

    async def set_baud(self, baud: int) -> None:
        """Change the line's speed (RFC 2217 forwards it to the console server)."""
        if self._port is not None:
            await asyncio.to_thread(setattr, self._port, "baudrate", baud)
        self.baud = baud

    @property
    def line_baud(self) -> int | None:
        """The speed the line really runs at, when known: what an RFC 2217 server
        acknowledged (None if it never said), the local tty's own; None for raw
        TCP and telnet ports, whose speed is the console server's setting."""
        if self.protocol is ConsoleProtocol.TTY:
            return self.baud
        if self.protocol is ConsoleProtocol.RFC2217 and isinstance(self._port, TolerantRfc2217):
            return self._port.server_baud
        return None

    @property
    def baud_text(self) -> str:
        """`9600 baud`, or `baud set by the server` when the line's speed is unknown."""
        baud = self.line_baud
        return SERVER_BAUD_UNKNOWN if baud is None else f"{baud} baud"

    @property
    def tolerated(self) -> tuple[str, ...]:
        """What an RFC 2217 server left unanswered (purges, parameter changes)."""
        if isinstance(self._port, TolerantRfc2217):
            return tuple(self._port.tolerated)
        return ()

    async def close(self) -> None:
        self._running = False
        self._writes.put(None)
        port, self._port = self._port, None
        if port is not None:
            await asyncio.to_thread(port.close)
        for thread in self._threads:
            await asyncio.to_thread(thread.join, 2)


__all__ = [
    "BreakUnsupported",
    "ConsoleLinkError",
    "SerialLink",
    "open_in_background",
    "open_port",
]
