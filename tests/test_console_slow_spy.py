"""A spy that cannot keep up never slows the writer nor grows its memory: it is
dropped, told why, and may join again at the live stream."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.serial_device import flood
from lautre_tui.services.console import ConsoleSession, share
from lautre_tui.services.console.claim import share_path
from lautre_tui.services.console.share import decode, message, reachable, read_frame
from tests.console_helpers import Screen
from tests.lab_helpers import eventually
from tests.test_console import target


async def test_a_spy_that_reads_nothing_is_dropped_and_told_while_the_writer_floods(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(share, "SLOW_SPY_BYTES", 256 * 1024)
    session = ConsoleSession(target(lab, "elea", raw=True))
    seen = Screen(session)
    await session.attach()
    server = session._server
    assert server is not None
    with reachable(share_path("elea")) as name:  # a stream read only when asked
        stuck, hello = await asyncio.open_unix_connection(name)
    try:
        hello.write(message(type="hello", user="slow", source="test", since="now", pid=0))
        await eventually(lambda: len(server.spies) == 1)
        count = 8_000_000  # beyond the spy's socket buffer and SLOW_SPY_BYTES
        session.send(b"\rroot\rpw\r")
        await seen.wait_for(b"root@elea:~# ")
        session.send(b"flood %d\r" % count)
        digest = hashlib.sha256(flood(count)).hexdigest().encode()
        await seen.wait_for(b"flood sha256 " + digest)  # the writer had all of it
        await eventually(lambda: not server.spies)
        last: dict[str, object] = {}
        while (got := await read_frame(stuck)) is not None:
            if got[0] == b"J":
                last = decode(got[1])
        assert last.get("type") == "bye" and "could not keep up" in str(last.get("why"))
    finally:
        hello.close()
        await session.detach()
