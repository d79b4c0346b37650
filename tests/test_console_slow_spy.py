"""A spy that cannot keep up never slows the writer nor grows its memory: one that
falls a whole ring behind says so and joins again at the live stream; one that
reads nothing at all for thousands of batches is dropped and told why."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.serial_device import flood_sha256
from lautre_tui.services.console import ConsoleSession, share
from lautre_tui.services.console.claim import share_path
from lautre_tui.services.console.session import pause_after
from lautre_tui.services.console.share import decode, message, reachable, read_frame
from tests.console_helpers import Screen
from tests.lab_helpers import eventually
from tests.test_console import target
from tests.test_console_shared import Peer


async def test_a_spy_stopped_through_a_flood_says_it_fell_behind_and_joins_again(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-Z on a spy's app while a flood four times the ring goes by: the writer
    has every byte; the spy, continued, finds its ranges written over, says so, and
    watches again from the live stream."""
    monkeypatch.setattr(share, "RING_BYTES", 256 * 1024)  # the holder is this process
    session = ConsoleSession(target(lab, "eva"))
    seen = Screen(session)
    await session.attach()
    spy = await Peer.start(lab, "eva", "admin2", "spy")
    try:
        assert spy.first == "attached spy"
        session.send(b"\rroot\rpw\r")
        await seen.wait_for(b"root@eva:~# ")
        assert await spy.ask("wait root@eva:~# ") == "seen"
        os.kill(spy.process.pid, signal.SIGSTOP)
        count = 1_000_000
        session.send(b"flood %d\r" % count)
        digest = flood_sha256(count).encode()
        await seen.wait_for(b"flood sha256 " + digest)  # the writer had all of it
        os.kill(spy.process.pid, signal.SIGCONT)

        async def watching_again() -> bool:
            said: list[str] = json.loads(await spy.ask("statuses"))
            behind = [i for i, line in enumerate(said) if "could not keep up" in line]
            return bool(behind) and said[-1].startswith("watching") and len(said) > behind[0] + 1

        await eventually(watching_again)
        session.send(b"echo back again\r")  # what comes now reaches it
        assert await spy.ask("wait back again") == "seen"
    finally:
        if spy.process.returncode is None:  # continued, whatever failed
            os.kill(spy.process.pid, signal.SIGCONT)
        await spy.quit()
        await session.detach()


async def test_a_spy_that_reads_nothing_is_dropped_and_told(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its ranges wait in the holder's memory only so long: past STUCK_SPY_BYTES of
    them (after what the kernel keeps), it is told why and let go."""
    monkeypatch.setattr(share, "STUCK_SPY_BYTES", 4096)
    session = ConsoleSession(target(lab, "elea", raw=True))
    await session.attach()
    server = session._server
    assert server is not None
    with reachable(share_path("elea")) as name:  # a stream read only at the end
        stuck, hello = await asyncio.open_unix_connection(name)
    try:
        hello.write(message(type="hello", user="slow", source="test", since="now", pid=0))
        await eventually(lambda: len(server.spies) == 1)
        batches = 0
        while server.spies:  # batch after batch, as a long flood gives them
            server.tap(b"x")
            server._deliver()
            batches += 1
            await asyncio.sleep(0)  # the transport tries to send what waits
        assert batches > 100
        last: dict[str, object] = {}
        while (got := await read_frame(stuck)) is not None:
            if got[0] == b"J":
                last = decode(got[1])
        assert last.get("type") == "bye" and "read nothing" in str(last.get("why"))
    finally:
        hello.close()
        await session.detach()


def test_a_spy_that_keeps_falling_behind_waits_longer_each_time() -> None:
    """At once the first time; then 1, 2, 4… s, never more than the port's backoff."""
    assert [pause_after(falls) for falls in range(1, 8)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert pause_after(40) == 30.0
