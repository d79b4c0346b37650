"""Who is on a console is the kernel's word, not the name a peer gives itself; the
holder's socket serves a bounded number of connections, and a holder that leaves
leaves no handler behind (asyncio would print each as an error at exit)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from lautre_tui.backends.claims import Claim, Holder
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.console import (
    ConsoleLinkError,
    ConsoleSession,
    ConsoleTarget,
    session,
    share,
)
from lautre_tui.services.console.claim import claim_path, describe, share_path, who_lines
from lautre_tui.services.console.client import ShareClient
from lautre_tui.services.console.share import (
    MAX_CONNECTIONS,
    Attendee,
    ShareServer,
    account_name,
    message,
)


class Holding:
    """A holder's socket that answers `who` and keeps every other request it gets."""

    def __init__(self, path: Path) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server = ShareServer(path, Attendee("admin1", "here", "now", "writer"), self.answer)

    async def answer(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("type") == "who":
            return {"type": "who", "attendees": self.server.attendees()}
        self.requests.append(request)
        return {"type": "noted"}


@pytest.fixture
async def holding(tmp_path: Path) -> Any:
    holding = Holding(tmp_path / "eva.sock")
    await holding.server.start()
    yield holding
    await holding.server.close(type="bye", why="the test ended")


async def test_a_spy_is_known_by_its_process_and_account_whatever_it_says(
    holding: Holding,
) -> None:
    spy = await ShareClient.connect(holding.server.path, on_data=lambda _data: None)
    try:
        spy.send(
            type="hello", user="admin2", source="10.0.0.5", since="2026-11-26T03:12:00Z", pid=1
        )
        answer = await spy.ask(10, type="who")  # one connection: answered after the hello
        assert answer is not None
        them = answer["attendees"][1]
        mine = account_name(os.getuid())
        assert (them["user"], them["pid"], them["account"]) == ("admin2", os.getpid(), mine)
        line = who_lines([them])[0]
        assert line.startswith("admin2 (spy) from 10.0.0.5 since ")
        assert line.endswith(f", unix account {mine}")  # the name given is not the account
        assert await spy.ask(10, type="message", user="root", account="admin9", pid=1, text="hi")
        said = holding.requests[-1]
        assert (said["user"], said["account"], said["pid"]) == ("root", mine, os.getpid())
    finally:
        spy.close()


async def test_connections_beyond_the_limit_are_turned_away_and_the_others_served(
    holding: Holding,
) -> None:
    clients = [await ShareClient.connect(holding.server.path) for _ in range(MAX_CONNECTIONS)]
    try:
        with pytest.raises(ConnectionError, match=f"{MAX_CONNECTIONS} are connected already"):
            await ShareClient.connect(holding.server.path)
        answer = await clients[0].ask(10, type="who")
        assert answer is not None and answer["type"] == "who"
    finally:
        for client in clients:
            client.close()


async def test_a_peer_that_reads_nothing_keeps_no_holder_from_leaving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spy that asks and asks and reads none of the answers: the holder still
    leaves, tells the other spies, and leaves no handler or connection behind."""
    monkeypatch.setattr(share, "CLOSE_WAIT", 0.2)  # how long a peer that reads nothing gets
    holding = Holding(tmp_path / "eva.sock")
    await holding.server.start()
    good = await ShareClient.connect(holding.server.path, on_data=lambda _data: None)
    good.send(type="hello", user="admin2", source="here", since="now")
    hostile = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hostile.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hostile.connect(str(holding.server.path))
    hostile.sendall(message(type="hello", user="x" * 50_000, source="s", since="n"))
    hostile.sendall(message(type="who") * 5000)
    answer = await good.ask(10, type="who")  # after the hostile hello, on another connection
    assert answer is not None
    assert {len(person["user"]) for person in answer["attendees"]} <= {6, share.NAME_CHARS}
    await holding.server.close(type="bye", why="admin1 detached")
    assert await good.next_message() == {"type": "bye", "why": "admin1 detached"}
    handlers = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "ShareServer._serve"
    ]
    assert handlers == []
    good.close()
    hostile.close()


async def test_a_spy_turned_away_says_what_the_holder_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claim = Claim(claim_path("eva"))  # held by "another process" (a lock of its own)
    assert claim.claim("admin1", "10.0.0.5", "2026-11-26T03:12:00Z") is None
    holding = Holding(share_path("eva"))
    await holding.server.start()
    clients = [await ShareClient.connect(share_path("eva")) for _ in range(MAX_CONNECTIONS)]
    monkeypatch.setattr(session, "JOIN_WAIT", 0.0)  # one attempt: no retries to wait for
    spy = ConsoleSession(
        ConsoleTarget("eva", "socket://127.0.0.1:9", 9600, ConsoleProtocol.RAW), read_only=True
    )
    try:
        with pytest.raises(ConsoleLinkError, match=f"{MAX_CONNECTIONS} are connected already"):
            await spy.attach()
    finally:
        for client in clients:
            client.close()
        await holding.server.close(type="bye", why="the test ended")
        claim.release()


async def test_a_holder_that_leaves_waits_for_every_connection_to_end(tmp_path: Path) -> None:
    holding = Holding(tmp_path / "eva.sock")
    await holding.server.start()
    spy = await ShareClient.connect(holding.server.path, on_data=lambda _data: None)
    spy.send(type="hello", user="admin2", source="here", since="now", pid=0)
    asking = await ShareClient.connect(holding.server.path)  # a question, still open
    assert await spy.ask(10, type="who") is not None
    await holding.server.close(type="bye", why="admin1 detached")
    handlers = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "ShareServer._serve"
    ]
    assert handlers == []
    assert await spy.next_message() == {"type": "bye", "why": "admin1 detached"}
    assert await asking.next_message() is None  # let go, not left waiting
    spy.close()
    asking.close()


def test_what_a_holder_says_of_its_attendees_is_shown_as_text_whatever_its_kind() -> None:
    odd = {"user": "admin2", "mode": "spy", "source": "here", "since": "now", "idle": "forty"}
    assert who_lines([odd]) == ["admin2 (spy) from here since now, idle ?"]
    holder = Holder(user="admin2", source="here", since="now", pid=7, doing="")
    assert describe("eva", holder, [{**odd, "mode": "writer", "pid": 7, "idle": [1]}]) == (
        "admin2 holds eva since now from here"
    )
