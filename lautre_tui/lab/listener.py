"""A lab port whose server is swapped as the world changes: closed (refused),
a black hole (accepts, never answers) or a real server, always on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

import asyncssh

LOCALHOST = "127.0.0.1"

Server = asyncio.Server | asyncssh.SSHAcceptor
ServerStarter = Callable[[int], Awaitable[Server]]
CLOSED = "closed"
BLACKHOLE = "blackhole"
# Ports this process's lab has handed out: a port reserved for a device that is off
# is closed until the device powers on, and the kernel may give its number to the
# next `bind(0)`; a reservation must never be handed out twice.
_RESERVED: set[int] = set()


async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and never answer, like a host behind a black-holing firewall."""
    with contextlib.suppress(Exception):
        while await reader.read(4096):
            pass
    writer.close()


async def every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    """Run `job` every `seconds` until cancelled; a port briefly busy is retried."""
    while True:
        await asyncio.sleep(seconds)
        with contextlib.suppress(OSError):
            await job()


def port_of(server: Server) -> int:
    if isinstance(server, asyncssh.SSHAcceptor):
        return int(server.get_port())
    return int(server.sockets[0].getsockname()[1])


class SwitchedPort:
    """One TCP port on 127.0.0.1 and the server currently behind it."""

    def __init__(self) -> None:
        self.port = 0
        self.mode = CLOSED
        self._server: Server | None = None
        self._hold: socket.socket | None = None  # keeps the reserved port ours

    async def reserve(self) -> int:
        """Pick a free port now, even for a device that starts switched off, and hold
        it: a socket bound there (SO_REUSEADDR, never listening) keeps every other
        process's port 0 off it, while our own servers (SO_REUSEADDR too, asyncio's
        default) may listen on it whenever the device is switched on."""
        while self.port == 0:
            hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            hold.bind((LOCALHOST, 0))
            port = int(hold.getsockname()[1])
            if port in _RESERVED:
                hold.close()
                continue
            _RESERVED.add(port)
            self.port, self._hold = port, hold
        return self.port

    async def switch(self, mode: str, start: ServerStarter | None = None) -> bool:
        """Serve `mode` (CLOSED, BLACKHOLE, or any name with its `start`); True if changed."""
        if mode == self.mode:
            return False
        await self.close()
        if mode == BLACKHOLE:
            self._server = await asyncio.start_server(
                swallow, LOCALHOST, self.port, reuse_address=True
            )
        elif mode != CLOSED:
            assert start is not None, f"mode {mode} needs a server"
            self._server = await start(self.port)
        if self._server is not None and self.port == 0:
            self.port = port_of(self._server)
            _RESERVED.add(self.port)
        self.mode = mode
        return True

    async def shut(self) -> None:
        """Close for good: the lab is done with this port, its number may be reused."""
        await self.close()
        if self._hold is not None:
            self._hold.close()
            self._hold = None
        _RESERVED.discard(self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        self.mode = CLOSED
