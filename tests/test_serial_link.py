"""The serial link's threads outlive nothing they should: bytes or a lost port that
arrive after the app's loop has closed are dropped quietly, never a traceback from
a reader thread while the app quits."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from lautre_tui.backends.serial_port import SerialLink
from lautre_tui.model.layout import ConsoleProtocol


def test_bytes_and_a_lost_port_after_the_loop_closed_raise_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    seen: list[bytes] = []

    async def attach() -> SerialLink:
        link = SerialLink(
            f"socket://127.0.0.1:{port}",
            9600,
            ConsoleProtocol.RAW,
            on_data=seen.append,
            on_lost=lambda _reason: None,
        )
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
