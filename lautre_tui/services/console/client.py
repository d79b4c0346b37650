"""A spy's side of the holder's socket (or a one-off question: who, take over).

During a flood a spy's cost per byte is what decides how much of the bastion's
CPU is left to the writer: the console's bytes are read where the holder wrote
them, in the shared ring (`ring`), and go to `on_data` as views of it; the socket
only carries the ranges (`R`) and the holder's few messages (JSON, queued for
whoever listens), parsed where they lie in one buffer kept for the connection.
A range written over before it was read means the spy fell behind: it is told
so, as by the holder, and joins again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lautre_tui.services.console.ring import RingReader
from lautre_tui.services.console.share import (
    GREETING,
    HEADER,
    MAX_JSON,
    RANGE,
    decode,
    message,
    reachable,
)

READ_BUFFER = 256 * 1024  # one read of the socket at most (asyncio's own default size)

# Bytes as they come. A memoryview is a view of the shared ring, valid only during the
# call: a listener keeps a copy (the screen queues it, a test extends its own).
DataListener = Callable[[bytes | memoryview], None]
BEHIND = "this spy could not keep up with the console: it joins again"
GREETING_SECONDS = 5.0  # for a holder that accepted to hand its ring


class FrameReader(asyncio.BufferedProtocol):
    """Frames parsed in place: `R` ranges read from `ring` to `on_data`, `J` messages
    to `messages` whole (at most MAX_JSON), None there at the end."""

    def __init__(self, on_data: DataListener | None, ring: RingReader | None = None) -> None:
        self.on_data = on_data
        self._ring = ring
        self._failed = False
        self.messages: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray(READ_BUFFER)
        self._view = memoryview(self._buffer)
        self._start = self._end = 0  # what is read and not parsed yet (a header's part)
        self._kind = b""  # the frame being read, and how much of its payload is to come
        self._left = 0
        self._gathered = bytearray()  # a message or a range, whole once its frame ends

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._start:  # at most a header's first bytes wait there: to the front
            rest = self._end - self._start
            self._buffer[:rest] = self._buffer[self._start : self._end]
            self._start, self._end = 0, rest
        return self._view[self._end :]

    def buffer_updated(self, nbytes: int) -> None:
        self._end += nbytes
        while self._start < self._end and not self._failed:
            if self._left:
                self._take_payload()
            elif self._end - self._start >= HEADER.size:
                self._kind, self._left = HEADER.unpack_from(self._buffer, self._start)
                self._start += HEADER.size
                if (self._kind == b"J" and self._left > MAX_JSON) or (
                    self._kind == b"R" and self._left != RANGE.size
                ):
                    self._fail()
                    return
                if self._kind == b"J" and not self._left:
                    self.messages.put_nowait({})
            else:
                break
        if self._start == self._end:
            self._start = self._end = 0

    def _take_payload(self) -> None:
        size = min(self._left, self._end - self._start)
        piece = self._view[self._start : self._start + size]
        self._start += size
        self._left -= size
        if self._kind in (b"J", b"R"):
            self._gathered += piece
            if not self._left:
                whole = bytes(self._gathered)
                self._gathered.clear()
                if self._kind == b"J":
                    self.messages.put_nowait(decode(whole))
                else:  # its size was checked with its header
                    self._read_range(*RANGE.unpack(whole))
        # any other kind: a frame of a newer holder, skipped

    def _read_range(self, start: int, end: int) -> None:
        """The bytes from `start` to `end`, checked unwritten over before and after
        they were handed on."""
        ring = self._ring
        if ring is None or self.on_data is None:
            return
        try:
            pieces = ring.pieces(start, end)
        except ValueError:  # a holder that says nonsense is left
            self._fail()
            return
        if ring.fresh(start):
            for piece in pieces:
                self.on_data(piece)
        del pieces
        if not ring.fresh(start):
            self.messages.put_nowait({"type": "bye", "why": BEHIND})
            self._fail()

    def _fail(self) -> None:
        self._failed = True  # what is read after it is not parsed
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        self.messages.put_nowait(None)


class TurnedAway(ConnectionError):
    """The holder answered, and refused the connection (its words say why)."""


def first_frame_needs(got: bytes) -> int:
    """How many bytes the connection's first frame still lacks (a message beyond
    MAX_JSON is read no further)."""
    if len(got) < HEADER.size:
        return HEADER.size - len(got)
    size = int(HEADER.unpack_from(got)[1])
    return HEADER.size + min(size, MAX_JSON) - len(got)


async def receive_ring(sock: socket.socket) -> int:
    """The greeting every connection starts with, and the ring's descriptor with it,
    read before asyncio reads the socket (it would drop the descriptor). A holder
    that turns the connection away says why instead (ConnectionError)."""
    got, fds = b"", list[int]()
    try:
        while (wanted := first_frame_needs(got)) > 0:
            await readable(sock)
            with contextlib.suppress(BlockingIOError):
                data, more, _flags, _address = socket.recv_fds(
                    sock, wanted, 1, socket.MSG_CMSG_CLOEXEC
                )
                fds += more
                if not data:
                    break
                got += data
        if got != GREETING or not fds:
            why = decode(got[HEADER.size :]).get("why") if len(got) > HEADER.size else None
            if isinstance(why, str):
                raise TurnedAway(f"the console's holder turned this connection away: {why}")
            raise ConnectionError("the console's holder handed no ring")
    except BaseException:  # a timeout or a cancel too: no descriptor left open
        for fd in fds:
            os.close(fd)
        raise
    for extra in fds[1:]:
        os.close(extra)
    return int(fds[0])


async def readable(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


class ShareClient:
    """A connection to a console's holder: requests out, its stream and answers in."""

    def __init__(self, transport: asyncio.Transport, reader: FrameReader) -> None:
        self._transport = transport
        self._reader = reader

    @classmethod
    async def connect(
        cls, path: Path, on_data: DataListener | None = None, timeout: float = GREETING_SECONDS
    ) -> ShareClient:
        """`on_data` gets the console's bytes (None: they are skipped). Raises
        OSError when nobody listens there, or the holder hands no ring within
        `timeout` (a hung holder)."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            with reachable(path) as name:
                await loop.sock_connect(sock, name)
            fd = await asyncio.wait_for(receive_ring(sock), timeout)
            try:
                ring = RingReader(fd) if on_data is not None else None
            except ValueError as error:
                raise ConnectionError(f"{path}: {error}") from error
            finally:
                os.close(fd)
            transport, reader = await loop.create_unix_connection(
                lambda: FrameReader(on_data, ring), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        assert isinstance(transport, asyncio.Transport)
        return cls(transport, reader)

    def send(self, **fields: Any) -> None:
        if not self._transport.is_closing():
            self._transport.write(message(**fields))

    async def next_message(self) -> dict[str, Any] | None:
        """The holder's next message; None once the connection ended."""
        said = await self._reader.messages.get()
        if said is None:
            self._reader.messages.put_nowait(None)  # ended: it stays ended
        return said

    async def ask(self, timeout: float, **fields: Any) -> dict[str, Any] | None:
        """A request and its answer (the holder's next message)."""
        self.send(**fields)
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(self.next_message(), timeout)
        return None

    def close(self) -> None:
        self._transport.close()
