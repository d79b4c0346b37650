"""The lab's serial console server: one TCP port per device console.

Each port speaks RFC 2217 (the telnet side is pyserial's own
`serial.rfc2217.PortManager`, as a real server built on pyserial would), and a
second block of ports gives the same consoles as raw TCP. `unanswered` makes the
RFC 2217 side answer less, as real servers do (newer ser2net leaves purges
unanswered; some servers never confirm a parameter change). Ports are allocated
as contiguous blocks so that the layout can say `rfc2217://127.0.0.1:{tcp_port}`
with a `port_offset`, as real console servers number them. One session per port:
a second client is told the port is busy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import socket
from pathlib import Path
from typing import Any

from serial import rfc2217

from lautre_tui.lab.listener import BLACKHOLE, CLOSED, LOCALHOST, SwitchedPort, every
from lautre_tui.lab.serial_device import SerialDevice
from lautre_tui.lab.world import FaultKind, PowerEvent, World

RECONCILE_SECONDS = 0.2
SLICE = 256 * 1024  # of a flood, handed to the transport at a time
BUSY_MESSAGE = b"\r\n*** port busy: another session is attached to this console ***\r\n"


class _Line:
    """The serial line as PortManager sees it: settings the client may change."""

    def __init__(self, device: SerialDevice) -> None:
        self._device = device
        self.bytesize = 8
        self.parity = "N"
        self.stopbits = 1
        self.rtscts = False
        self.xonxoff = False
        self.rts = True
        self.dtr = True
        self.cts = True
        self.dsr = True
        self.ri = False
        self.cd = True
        self._break = False

    @property
    def baudrate(self) -> int:
        return self._device.line_baud

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        self._device.line_baud = int(value)

    @property
    def break_condition(self) -> bool:
        return self._break

    @break_condition.setter
    def break_condition(self, value: bool) -> None:
        if value and not self._break:
            self._device.break_began()
        if self._break and not value:
            self._device.line_break()  # a BREAK is the condition going on then off
        self._break = bool(value)

    def reset_input_buffer(self) -> None:
        """Nothing is buffered on the simulated line."""

    def reset_output_buffer(self) -> None:
        """Nothing is buffered on the simulated line."""


class _Port:
    """One console: the device, its RFC 2217 and raw TCP ports, the attached client."""

    def __init__(
        self, name: str, number: int, baud: int, world: World, unanswered: set[bytes]
    ) -> None:
        self.name = name
        self.unanswered = unanswered
        self.number = number
        self.device = SerialDevice(name, baud, world, self._to_client)
        self.rfc2217 = SwitchedPort()
        self.raw = SwitchedPort()
        self._writer: asyncio.StreamWriter | None = None
        self._manager: rfc2217.PortManager | None = None
        self._outbox: collections.deque[bytes] = collections.deque()
        self._sender: asyncio.Task[None] | None = None
        self.connections = 0  # clients that reached this port (a status round must add none)

    def _to_client(self, data: bytes) -> None:
        """Towards the client, in order. A flood goes to the transport a slice at a
        time, as it drains: asyncio moves its whole buffer down after every send, and
        20 MB written at once cost the lab more CPU than the client's reading of it."""
        writer = self._writer
        if writer is None or writer.is_closing():
            return
        if self._manager is not None:
            data = data.replace(rfc2217.IAC, rfc2217.IAC_DOUBLED)
        sending = self._sender is not None and not self._sender.done()
        if not sending and len(data) <= SLICE:
            writer.write(data)  # a line, an echo: at once
            return
        self._outbox.append(data)
        if not sending:
            self._sender = asyncio.get_running_loop().create_task(self._send_out(writer))

    async def _send_out(self, writer: asyncio.StreamWriter) -> None:
        try:
            while self._outbox and writer is self._writer and not writer.is_closing():
                data = memoryview(self._outbox.popleft())
                for start in range(0, len(data), SLICE):
                    writer.write(data[start : start + SLICE])
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            if writer is not self._writer or writer.is_closing():
                self._outbox.clear()  # that client is gone: nobody else gets its rest

    async def serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, telnet: bool
    ) -> None:
        self.connections += 1
        if self._writer is not None and not self._writer.is_closing():
            writer.write(BUSY_MESSAGE)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writer = writer
        self._manager = (
            _QuietManager(_Line(self.device), _WriterConnection(writer), self.unanswered)
            if telnet
            else None
        )
        try:
            if self.device.alive:
                self.device.prompt()
            while data := await reader.read(4096):
                if self._manager is not None:
                    data = b"".join(self._manager.filter(data))
                if data:
                    self.device.receive(data)
        except ConnectionError:
            pass
        finally:
            if self._writer is writer:
                self._writer, self._manager = None, None
            writer.close()

    def drop(self) -> None:
        """Cut the attached client (the "connection dropped" fault)."""
        if self._writer is not None:
            self._writer.transport.abort()


class _QuietManager(rfc2217.PortManager):  # type: ignore[misc]  # pyserial is untyped
    """pyserial's PortManager that leaves some RFC 2217 requests unanswered."""

    def __init__(self, line: _Line, connection: _WriterConnection, unanswered: set[bytes]) -> None:
        self._unanswered = unanswered
        super().__init__(line, connection)

    def rfc2217_send_subnegotiation(self, option: bytes, value: bytes = b"") -> None:
        if option not in self._unanswered:
            super().rfc2217_send_subnegotiation(option, value)


class _WriterConnection:
    """What PortManager writes its telnet negotiation to."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)


class ConsoleServer:
    """The `LabComponent` for the layout's first console server."""

    def __init__(self) -> None:
        self.ports: dict[str, _Port] = {}
        # RFC 2217 answers left out, e.g. {rfc2217.SERVER_PURGE_DATA}, as some real
        # servers do; shared by every port, read when a client connects
        self.unanswered: set[bytes] = set()
        self.name = "console"
        self.rfc2217_offset = 0
        self.raw_offset = 0
        self._world: World | None = None
        self._unsubscribe: list[Any] = []
        self._reconciler: asyncio.Task[None] | None = None

    def raw_url(self, device: str) -> str:
        return f"socket://{LOCALHOST}:{self.ports[device].raw.port}"

    def rfc2217_url(self, device: str) -> str:
        return f"rfc2217://{LOCALHOST}:{self.ports[device].rfc2217.port}"

    def device(self, name: str) -> SerialDevice:
        return self.ports[name].device

    async def start(self, world: World, directory: Path) -> dict[str, Any]:
        self._world = world
        if not world.layout.consoles:
            return {}
        self.name = next(iter(world.layout.consoles))
        for device in world.layout.devices.values():
            if device.console is not None and device.console.server == self.name:
                port = _Port(
                    device.name, device.console.port, device.console.baud, world, self.unanswered
                )
                self.ports[device.name] = port
                self._unsubscribe.append(world.subscribe(self._power_listener(port)))
        if not self.ports:
            return {}
        highest = max(port.number for port in self.ports.values())
        self.rfc2217_offset = await _free_block(highest)
        self.raw_offset = await _free_block(highest, avoid=self.rfc2217_offset)
        for port in self.ports.values():
            port.rfc2217.port = self.rfc2217_offset + port.number
            port.raw.port = self.raw_offset + port.number
        await self._reconcile()
        self._reconciler = asyncio.create_task(every(RECONCILE_SECONDS, self._reconcile))
        url = f"rfc2217://{LOCALHOST}:{{tcp_port}}"
        raw = f"socket://{LOCALHOST}:{{tcp_port}}"
        return {
            "consoles": {
                self.name: {"device": self.name, "url": url, "port_offset": self.rfc2217_offset},
                f"{self.name}-raw": {"url": raw, "protocol": "raw", "port_offset": self.raw_offset},
            }
        }

    def _power_listener(self, port: _Port) -> Any:
        loop = asyncio.get_running_loop()

        def listener(event: PowerEvent) -> None:
            if event.device == port.name:
                loop.call_soon_threadsafe(port.device.on_power, event)

        return listener

    async def _reconcile(self) -> None:
        assert self._world is not None
        for port in self.ports.values():
            target = f"console:{port.name}"
            mode = "serve"
            if self._world.fault(target, FaultKind.REFUSED):
                mode = CLOSED
            elif self._world.fault(target, FaultKind.BLACKHOLE):
                mode = BLACKHOLE
            if self._world.fault(target, FaultKind.DROP_MID_COMMAND):
                port.drop()
            for listener, telnet in ((port.rfc2217, True), (port.raw, False)):
                await listener.switch(mode, _starter(port, telnet))

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for port in self.ports.values():
            port.drop()
            await port.rfc2217.shut()
            await port.raw.shut()


def _starter(port: _Port, telnet: bool) -> Any:
    async def start(number: int) -> asyncio.Server:
        return await asyncio.start_server(
            lambda r, w: port.serve(r, w, telnet), LOCALHOST, number, reuse_address=True
        )

    return start


async def _free_block(size: int, avoid: int = -1) -> int:
    """An offset such that offset+1 … offset+size are all free on 127.0.0.1."""
    rng = random.Random()
    for _attempt in range(200):
        offset = rng.randrange(20000, 60000 - size)
        if avoid - size <= offset <= avoid + size:
            continue
        sockets: list[socket.socket] = []
        try:
            for number in range(offset + 1, offset + size + 1):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind((LOCALHOST, number))
            return offset
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise OSError(f"no block of {size} free ports on {LOCALHOST}")
