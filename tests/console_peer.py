"""Another admin's process on a console, for tests: `python -m tests.console_peer
HOST URL USER MODE` (MODE writer, spy or force), driven by lines on stdin.

It attaches a real ConsoleSession (same state folder as the test, from the
environment) and answers each command with one line: `send TEXT` (sends TEXT
and a CR; `sent` or `refused`), `wait TEXT` (`seen` once TEXT arrived), `flood N`
(`sha256 HEX` of the N flood bytes received), `say TEXT` (to everyone on
the console), `notices` (what it was told, as
JSON), `statuses` (its status lines, as JSON), `state`, `quit`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys

from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.audit import Actor
from lautre_tui.services.console import ConsoleLinkError, ConsoleSession, ConsoleTarget

FLOOD_START = b"00000000 lautre-tui console flood"


async def main(host: str, url: str, user: str, mode: str) -> None:
    protocol = ConsoleProtocol.RFC2217 if url.startswith("rfc2217") else ConsoleProtocol.RAW
    session = ConsoleSession(
        ConsoleTarget(host, url, 9600, protocol),
        read_only=mode == "spy",
        actor=Actor(user, f"10.0.0.{os.getpid() % 250 + 1}"),
    )
    received = bytearray()
    notices: list[str] = []
    statuses: list[str] = []
    session.subscribe(received.extend, statuses.append, notices.append)
    try:
        await session.attach(force=mode == "force")
    except ConsoleLinkError as error:
        print(f"error {error}", flush=True)
        return
    print(f"attached {session.mode}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).rstrip("\n")
        verb, _, rest = line.partition(" ")
        if verb in ("quit", ""):
            break
        if verb == "send":
            print("sent" if session.send(rest.encode() + b"\r") else "refused", flush=True)
        elif verb == "wait":
            while rest.encode() not in received:
                await asyncio.sleep(0.01)
            print("seen", flush=True)
        elif verb == "flood":
            count = int(rest)
            while (start := received.find(FLOOD_START)) < 0 or len(received) < start + count:
                await asyncio.sleep(0.01)
            data = bytes(received[start : start + count])
            print(f"sha256 {hashlib.sha256(data).hexdigest()}", flush=True)
        elif verb == "say":
            session.tell_everyone(rest)
            print("said", flush=True)
        elif verb == "notices":
            print(json.dumps(notices), flush=True)
        elif verb == "statuses":
            print(json.dumps(statuses), flush=True)
        elif verb == "state":
            print(f"{session.mode} {session.state} holding={session.holding}", flush=True)
    await session.detach()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
