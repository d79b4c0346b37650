"""The serial link's threads outlive nothing they should: bytes or a lost port that
arrive after the app's loop has closed are dropped quietly, never a traceback from
a reader thread while the app quits."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

import pytest

from lautre_tui.backends.serial_port import DISPLAY_BUFFER, DRAIN, SerialLink
from lautre_tui.model.layout import ConsoleProtocol
from tests.lab_helpers import eventually


def raw_link(
    server: socket.socket,
    on_data: Callable[[bytes], None],
    record: Callable[[bytes], None] | None = None,
) -> SerialLink:
    """A link to `server`'s port as a raw TCP console (socket://), not yet open."""
    return SerialLink(
        f"socket://127.0.0.1:{server.getsockname()[1]}",
        9600,
        ConsoleProtocol.RAW,
        on_data=on_data,
        on_lost=lambda _reason: None,
        record=record,
    )


def test_bytes_and_a_lost_port_after_the_loop_closed_raise_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    server = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    async def attach() -> SerialLink:
        link = raw_link(server, seen.append)
        await link.open()
        return link  # left open: the loop closes under it, as when the app is killed

    link = asyncio.run(attach())
    peer, _ = server.accept()
    with peer, server:
        peer.sendall(b"login: ")  # to a loop that is gone
        reader = link._threads[0]
    reader.join(10)  # the peer hung up: the reader tells a closed loop, and ends
    assert not reader.is_alive()
    assert failures == []
    assert seen == []


async def test_a_flood_the_screen_cannot_take_keeps_its_newest_bytes_and_counts_the_rest() -> None:
    """The loop is busy while 3 MB come: the transcript's record gets every byte, the
    screen at most DISPLAY_BUFFER of the newest, and `dropped` says how many it missed."""
    server = socket.create_server(("127.0.0.1", 0))
    flood = bytes(range(256)) * (3 * 4096)  # 3 MB, every byte told by its offset
    recorded = bytearray()
    everything = threading.Event()

    def record(data: bytes) -> None:  # the reader thread's own, as the transcript's
        recorded.extend(data)
        if len(recorded) == len(flood):
            everything.set()

    shown = bytearray()
    link = raw_link(server, shown.extend, record)
    await link.open()
    peer, _ = server.accept()
    with peer, server:
        peer.sendall(flood)
        assert everything.wait(30)  # the loop is held here: nothing is shown meanwhile
        await eventually(lambda: link.dropped + len(shown) == len(flood))
        assert recorded == flood
        # What waited for the screen, and the last read handed over after the wait ended.
        assert 0 < len(shown) <= DISPLAY_BUFFER + DRAIN
        assert bytes(shown) == flood[-len(shown) :]
        await link.close()
