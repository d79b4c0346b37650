"""A spy's side of the holder's socket (or a one-off question: who, take over).

During a flood a spy's cost per byte is what decides how much of the bastion's
CPU is left to the writer, so the stream is read without asyncio's stream
buffer: the kernel copies each read into one buffer kept for the connection
(no fresh memory to fault in per read), frames are parsed where they lie, and
the console's bytes go to `on_data` as they arrive, one copy each, without
waiting for a whole frame (a batch of a flood is hundreds of kilobytes). The
holder's few messages (JSON) are queued for whoever listens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lautre_tui.services.console.share import HEADER, MAX_JSON, decode, message, reachable

READ_BUFFER = 256 * 1024  # one read of the socket at most (asyncio's own default size)

# Bytes as they come. A memoryview is the connection's read buffer, valid only during
# the call: a listener keeps a copy (the screen queues it, a test extends its own).
# Handing the buffer itself saves a spy one allocation per read, and malloc's fresh
# pages for each (256 KB): 1.0 of its 1.6 ms of CPU per MB of a flood.
DataListener = Callable[[bytes | memoryview], None]


class FrameReader(asyncio.BufferedProtocol):
    """Frames parsed in place: `D` payloads to `on_data` piece by piece, `J`
    messages to `messages` whole (at most MAX_JSON), None there at the end."""

    def __init__(self, on_data: DataListener | None) -> None:
        self.on_data = on_data
        self.messages: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray(READ_BUFFER)
        self._view = memoryview(self._buffer)
        self._start = self._end = 0  # what is read and not parsed yet (a header's part)
        self._kind = b""  # the frame being read, and how much of its payload is to come
        self._left = 0
        self._json = bytearray()

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
        while self._start < self._end:
            if self._left:
                self._take_payload()
            elif self._end - self._start >= HEADER.size:
                self._kind, self._left = HEADER.unpack_from(self._buffer, self._start)
                self._start += HEADER.size
                if self._kind == b"J" and self._left > MAX_JSON:
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
        if self._kind == b"D":
            if self.on_data is not None:
                self.on_data(piece)
        elif self._kind == b"J":
            self._json += piece
            if not self._left:
                self.messages.put_nowait(decode(bytes(self._json)))
                self._json.clear()
        # any other kind: a frame of a newer holder, skipped

    def _fail(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.messages.put_nowait(None)


class ShareClient:
    """A connection to a console's holder: requests out, its stream and answers in."""

    def __init__(self, transport: asyncio.Transport, reader: FrameReader) -> None:
        self._transport = transport
        self._reader = reader

    @classmethod
    async def connect(cls, path: Path, on_data: DataListener | None = None) -> ShareClient:
        """`on_data` gets the console's bytes (None: they are skipped).
        Raises OSError when nobody listens there."""
        loop = asyncio.get_running_loop()
        with reachable(path) as name:
            transport, reader = await loop.create_unix_connection(
                lambda: FrameReader(on_data), name
            )
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
