"""The spy's side of the holder's socket reads frames however the stream is cut (a
header split across reads, a message in two parts), reads the ranges it is told
from the shared ring, wrapped or not, and says it fell behind when the holder
wrote over a range before it was read."""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import mmap
import os
import random
import socket
from pathlib import Path

import pytest

from lautre_tui.services.console.client import BEHIND, FrameReader, receive_ring
from lautre_tui.services.console.ring import F_SEAL_FUTURE_WRITE, RingReader, RingWriter
from lautre_tui.services.console.share import (
    HEADER,
    MAX_JSON,
    RANGE,
    Attendee,
    ShareServer,
    frame,
    message,
)


def told(start: int, end: int) -> bytes:
    return frame(b"R", RANGE.pack(start, end))


async def read_all(stream: bytes, cuts: list[int], ring: RingWriter) -> tuple[bytes, list[object]]:
    """What a FrameReader makes of `stream` sent in pieces cut at `cuts`, then closed:
    the console's bytes and the holder's messages."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    received = bytearray()
    loop = asyncio.get_running_loop()
    reader_of_ring = RingReader(ring.fd)
    transport, reader = await loop.create_unix_connection(
        lambda: FrameReader(received.extend, reader_of_ring), sock=ours
    )
    theirs.setblocking(False)
    bounds = [0, *sorted(cuts), len(stream)]
    for start, end in itertools.pairwise(bounds):
        await loop.sock_sendall(theirs, stream[start:end])
    theirs.shutdown(socket.SHUT_WR)
    said: list[object] = []
    while (got := await reader.messages.get()) is not None:
        said.append(got)
    transport.close()
    theirs.close()
    return bytes(received), said


async def test_frames_cut_anywhere_give_the_same_bytes_and_messages() -> None:
    console = bytes(range(256)) * 4000  # beyond one read of the reader's buffer
    ring = RingWriter(1 << 20)
    try:
        first = ring.write(console[:1000])
        second = ring.write(console[1000:500_000])[0], ring.write(console[500_000:])[1]
        stream = (
            told(*first)
            + message(type="message", user="admin1", text="reboot at 3")
            + frame(b"X", b"a newer kind of frame")
            + told(*second)
            + frame(b"J", b"")
            + message(type="bye", why="the holder left")
        )
        cutter = random.Random(14)
        for cuts in ([], list(range(1, 40)), [cutter.randrange(len(stream)) for _ in range(20)]):
            data, said = await read_all(stream, cuts, ring)
            assert data == console
            assert said == [
                {"type": "message", "user": "admin1", "text": "reboot at 3"},
                {},
                {"type": "bye", "why": "the holder left"},
            ]
    finally:
        ring.close()


async def test_a_range_across_the_rings_end_comes_whole() -> None:
    ring = RingWriter(4096)
    try:
        ring.write(b"x" * 3000)
        wrapped = os.urandom(2000)  # 1096 bytes at the end of the ring, 904 at its start
        data, said = await read_all(told(*ring.write(wrapped)), [], ring)
        assert (data, said) == (wrapped, [])
    finally:
        ring.close()


async def test_a_range_written_over_before_it_is_read_says_the_spy_fell_behind() -> None:
    ring = RingWriter(4096)
    try:
        early = ring.write(b"a" * 3000)
        ring.write(b"b" * 3000)  # the holder went on: "a" is partly written over
        data, said = await read_all(told(*early), [], ring)
        assert data == b""
        assert said == [{"type": "bye", "why": BEHIND}]
    finally:
        ring.close()


async def test_a_message_beyond_the_limit_ends_the_connection() -> None:
    ring = RingWriter(4096)
    try:
        ring.write(b"never shown")
        stream = HEADER.pack(b"J", MAX_JSON + 1) + b"{" * 100 + told(0, 11)
        assert await read_all(stream, [], ring) == (b"", [])
    finally:
        ring.close()


def test_a_spy_cannot_write_into_the_ring() -> None:
    """Sealed: only the holder's own mapping writes; a spy can map it read-only only."""
    ring = RingWriter(4096)
    try:
        if not fcntl.fcntl(ring.fd, fcntl.F_GET_SEALS) & F_SEAL_FUTURE_WRITE:
            pytest.skip("this kernel has no F_SEAL_FUTURE_WRITE (Linux 5.1)")
        with pytest.raises(PermissionError):
            mmap.mmap(ring.fd, 4096 + 32, flags=mmap.MAP_SHARED)
        RingReader(ring.fd).close()  # read-only, as spies map it
    finally:
        ring.close()


async def answer_nothing(_request: dict[str, object]) -> dict[str, object] | None:
    return None


async def test_what_a_connection_gets_is_read_only_and_a_huge_frame_ends_it(
    tmp_path: Path,
) -> None:
    """The holder hands a descriptor opened read-only (no write, no new seal, whatever
    the kernel), and a peer announcing a frame beyond any message is let go at once
    instead of having gigabytes buffered."""
    holder = Attendee("admin1", "here", "now", "writer")
    server = ShareServer(tmp_path / "eva.sock", holder, answer_nothing)
    await server.start()
    loop = asyncio.get_running_loop()
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, str(tmp_path / "eva.sock"))
        fd = await asyncio.wait_for(receive_ring(sock), 10)
        try:
            assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
            with pytest.raises(PermissionError):
                mmap.mmap(fd, 0, flags=mmap.MAP_SHARED)
            with pytest.raises(OSError):
                os.write(fd, b"forged")
            RingReader(fd).close()
        finally:
            os.close(fd)
        await loop.sock_sendall(sock, HEADER.pack(b"X", 0xFFFFFFFF) + b"junk" * 1000)
        assert await asyncio.wait_for(loop.sock_recv(sock, 1 << 16), 10) == b""  # let go
        sock.close()
    finally:
        await server.close(type="bye", why="done")


async def test_a_range_no_ring_holds_is_refused() -> None:
    ring = RingWriter(4096)
    try:
        ring.write(b"z" * 100)
        data, said = await read_all(told(0, 10_000), [], ring)  # more than the ring
        assert (data, said) == (b"", [])  # the connection is left, nothing read
    finally:
        ring.close()
