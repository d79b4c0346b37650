"""The lab's management ports: what the switches, the console server and the
strip answer on their admin addresses, for reach checks.

Each device the layout checks with `reach:` gets one TCP port on 127.0.0.1 per
declared port (ping cannot be simulated per device on loopback: every 127/8
address answers, so the lab's layout asks for TCP instead). A port accepts and
closes while its device is powered; it refuses with a `refused` fault (the
address answers, the port is closed); it is silent when the device is off or
has a `blackhole` fault: a listening socket whose backlog is full, so that the
kernel drops the SYNs and a connect times out, as with an address nobody
answers for (a swallowing server would complete the handshake: "up").
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any

from lautre_tui.lab.listener import CLOSED, LOCALHOST, SwitchedPort, every
from lautre_tui.lab.world import FaultKind, World

RECONCILE_SECONDS = 0.2
OPEN = "open"
SILENT = "silent"


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A management port that answers the handshake; reach checks send nothing."""
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def _open(port: int) -> asyncio.Server:
    return await asyncio.start_server(_hang_up, LOCALHOST, port, reuse_address=True)


class _Silent:
    """A port whose SYNs go unanswered: listen(0), its one queue slot taken by a
    connection nobody accepts."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((LOCALHOST, port))
        self.listener.listen(0)
        self.sockets = [self.listener]
        self.filler = socket.create_connection((LOCALHOST, self.listener.getsockname()[1]), 1)

    def close(self) -> None:
        self.filler.close()
        self.listener.close()

    async def wait_closed(self) -> None:
        """Closed at once."""


async def _silent(port: int) -> Any:
    return _Silent(port)


class ManagementPorts:
    """The `LabComponent` serving every `reach:` device's management ports."""

    def __init__(self) -> None:
        self.ports: dict[str, list[SwitchedPort]] = {}
        self._world: World | None = None
        self._reconciler: asyncio.Task[None] | None = None

    def port(self, device: str) -> int:
        """The first management port of `device` (tests connect to it)."""
        return self.ports[device][0].port

    async def start(self, world: World, directory: Path) -> dict[str, Any]:
        self._world = world
        devices: dict[str, Any] = {}
        for device in world.layout.devices.values():
            if device.reach is None:
                continue
            count = max(1, len(device.reach.tcp))
            ports = [SwitchedPort() for _ in range(count)]
            self.ports[device.name] = ports
            numbers = [await port.reserve() for port in ports]
            devices[device.name] = {"reach": {"host": LOCALHOST, "tcp": numbers, "ping": False}}
        await self._reconcile()
        self._reconciler = asyncio.create_task(every(RECONCILE_SECONDS, self._reconcile))
        return {"devices": devices}

    async def _reconcile(self) -> None:
        world = self._world
        assert world is not None
        for name, ports in self.ports.items():
            if world.fault(name, FaultKind.REFUSED):
                mode, start = CLOSED, None
            elif not world.device_powered(name) or world.fault(name, FaultKind.BLACKHOLE):
                mode, start = SILENT, _silent
            else:
                mode, start = OPEN, _open
            for port in ports:
                await port.switch(mode, start)

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
        for ports in self.ports.values():
            for port in ports:
                await port.shut()
