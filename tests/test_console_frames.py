"""The spy's side of the holder's socket reads frames however the stream is cut:
a header split across reads, a batch arriving in pieces, a message in two parts."""

from __future__ import annotations

import asyncio
import itertools
import random
import socket

from lautre_tui.services.console.client import FrameReader
from lautre_tui.services.console.share import HEADER, MAX_JSON, frame, message, send_pieces


async def read_all(stream: bytes, cuts: list[int]) -> tuple[bytes, list[object]]:
    """What a FrameReader makes of `stream` sent in pieces cut at `cuts`, then closed."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    received = bytearray()
    loop = asyncio.get_running_loop()
    transport, reader = await loop.create_unix_connection(
        lambda: FrameReader(received.extend), sock=ours
    )
    theirs.setblocking(False)
    bounds = [0, *sorted(cuts), len(stream)]
    for start, end in itertools.pairwise(bounds):
        await loop.sock_sendall(theirs, stream[start:end])
    theirs.close()
    said: list[object] = []
    while (got := await reader.messages.get()) is not None:
        said.append(got)
    transport.close()
    return bytes(received), said


async def test_frames_cut_anywhere_give_the_same_bytes_and_messages() -> None:
    console = bytes(range(256)) * 4000  # beyond one read of the reader's buffer
    stream = (
        frame(b"D", console[:1000])
        + message(type="message", user="admin1", text="reboot at 3")
        + frame(b"X", b"a newer kind of frame")
        + frame(b"D", console[1000:])
        + frame(b"J", b"")
        + message(type="bye", why="the holder left")
    )
    cutter = random.Random(14)
    for cuts in ([], list(range(1, 40)), [cutter.randrange(len(stream)) for _ in range(50)]):
        data, said = await read_all(stream, cuts)
        assert data == console
        assert said == [
            {"type": "message", "user": "admin1", "text": "reboot at 3"},
            {},
            {"type": "bye", "why": "the holder left"},
        ]


async def test_a_message_beyond_the_limit_ends_the_connection() -> None:
    stream = HEADER.pack(b"J", MAX_JSON + 1) + b"{" * 100 + frame(b"D", b"never shown")
    data, said = await read_all(stream, [])
    assert (data, said) == (b"", [])


async def test_pieces_reach_a_spy_in_order_when_its_socket_is_full() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    _reader, writer = await asyncio.open_unix_connection(sock=ours)
    pieces = [bytes([n]) * 300_000 for n in range(3)]
    send_pieces(writer, pieces)  # more than the socket takes: the rest waits in the transport
    assert writer.transport.get_write_buffer_size() > 0
    send_pieces(writer, [b"after"])  # behind what waits, never before it
    theirs.setblocking(False)
    loop = asyncio.get_running_loop()
    expected = b"".join(pieces) + b"after"
    received = bytearray()
    while len(received) < len(expected):
        received += await loop.sock_recv(theirs, 1 << 20)
    assert received == expected
    writer.close()
    theirs.close()
