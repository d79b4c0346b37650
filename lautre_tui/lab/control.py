"""Steer a running lab from another process: faults and outlets, one line each.

The lab listens on `DIR/control.sock`; `lautre-tui demo` uses it for its fault
key, and anyone can with `socat - UNIX-CONNECT:DIR/control.sock`:

    fault KIND TARGET [DETAIL]    e.g. `fault service-down emma web`, `fault refused console:eva`
    clear [TARGET]                remove faults (all, or TARGET's)
    outlet PDU N on|off           switch an outlet as if by hand
    faults                        list the injected faults
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

from lautre_tui.lab.world import Fault, FaultKind, World

SOCKET = "control.sock"


def execute(world: World, line: str) -> str:
    """Apply one control line to the world; the reply starts with `ok` or `error`."""
    words = line.split()
    if not words:
        return "error: empty command"
    verb, args = words[0], words[1:]
    try:
        if verb == "fault" and len(args) >= 2:
            fault = Fault(FaultKind(args[0]), args[1], " ".join(args[2:]))
            world.inject(fault)
            return f"ok {fault.kind.value} on {fault.target}"
        if verb == "clear" and len(args) <= 1:
            world.clear(args[0] if args else None)
            return "ok cleared"
        if verb == "outlet" and len(args) == 3 and args[2] in ("on", "off"):
            world.set_outlet(args[0], int(args[1]), args[2] == "on")
            return f"ok outlet {args[1]} of {args[0]} {args[2]}"
        if verb == "faults" and not args:
            faults = [
                f"{f.kind.value} {f.target} {f.detail}".strip()
                for name in sorted(
                    {*world.layout.devices, *(f"pdu:{p}" for p in world.layout.pdus)}, key=str
                )
                for target in (name, f"console:{name}")
                for f in world.faults_for(target)
            ]
            return "ok " + "; ".join(faults) if faults else "ok no fault"
    except (ValueError, KeyError) as error:
        return f"error: {error}"
    kinds = ", ".join(kind.value for kind in FaultKind)
    return (
        f"error: unknown command {line!r} (fault KIND TARGET [DETAIL] with KIND in {kinds}; "
        "clear [TARGET]; outlet PDU N on|off; faults)"
    )


async def serve(world: World, directory: Path) -> asyncio.Server:
    """Listen on DIR/control.sock until the returned server is closed."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                writer.write((execute(world, line.decode(errors="replace")) + "\n").encode())
                await writer.drain()
        writer.close()

    path = directory / SOCKET
    path.unlink(missing_ok=True)
    return await asyncio.start_unix_server(handle, path=str(path))


def send(directory: Path, line: str, timeout: float = 5.0) -> str:
    """Send one control line to the lab in `directory` and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(directory / SOCKET))
        sock.sendall(line.strip().encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.decode(errors="replace").strip()
