"""The lab's management ports: what the switches, the console server and the
strip answer on their admin addresses, for reach checks.

Each device the layout checks with `reach:` gets one TCP port on 127.0.0.1 per
declared port (ping cannot be simulated per device on loopback: every 127/8
address answers, so the lab's layout asks for TCP instead). A port accepts and
closes while its device is powered; it refuses when the device is off or has a
`refused` fault, and swallows connections (no answer: a timeout) with a
`blackhole` fault on the device, as a dead switch behind a live one would.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from lautre_tui.lab.listener import BLACKHOLE, CLOSED, LOCALHOST, SwitchedPort, every
from lautre_tui.lab.world import FaultKind, World

RECONCILE_SECONDS = 0.2
OPEN = "open"


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A management port that answers the handshake; reach checks send nothing."""
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def _open(port: int) -> asyncio.Server:
    return await asyncio.start_server(_hang_up, LOCALHOST, port, reuse_address=True)


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
            if not world.device_powered(name) or world.fault(name, FaultKind.REFUSED):
                mode = CLOSED
            elif world.fault(name, FaultKind.BLACKHOLE):
                mode = BLACKHOLE
            else:
                mode = OPEN
            for port in ports:
                await port.switch(mode, _open)

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
        for ports in self.ports.values():
            for port in ports:
                await port.close()
