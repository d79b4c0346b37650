"""The lab's APC switched strip: an SSH server speaking the NMC command line.

As the real card (AOS v3 "apc>" CLI, as fence-agents' fence_apc and PDUDaemon
drive it): password login, a banner, the `apc>` prompt, an interactive shell only
(exec requests refused), `olStatus`, `olOn`, `olOff`, `olReboot`, `olName`,
`phReading all current` and `devReading power` (rPDU2g cards: the strip's load,
the sum of what its powered devices draw, per kind below), `help`/`?`,
`exit`/`quit`; replies `E000: Success` then lines like ` 3: elea: On`,
errors `E101: Command Not Found` and `E102: Parameter Error`. One CLI session at
a time, as the card allows. Outlets switch the shared `World`, so hosts really
lose power and boot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

import asyncssh

from lautre_tui.lab.keys import known_hosts_line, new_host_key
from lautre_tui.lab.listener import BLACKHOLE, CLOSED, LOCALHOST, SwitchedPort, every
from lautre_tui.lab.world import FaultKind, World
from lautre_tui.model.topology import devices_on_outlet

USER = "apc"
# What a device of each kind draws, in amps at 230 V (a 2010-era 1 U server idles
# at about 150 W; a bay of 14 disks spinning, 2.5 A).
DRAW_AMPS = {
    "server": 0.6,
    "switch": 0.3,
    "console-server": 0.2,
    "disk-bay": 2.5,
    "pdu": 0.0,
    "other": 0.5,
}
VOLTS = 230.0
SECRET_FILE = "apc.secret"
REBOOT_SECONDS = 5.0
RECONCILE_SECONDS = 0.2
BANNER = """\r
American Power Conversion               Network Management Card AOS      v3.7.3\r
(c) Copyright 2009 All Rights Reserved  RPDU 2g v3.7.3\r
-------------------------------------------------------------------------------\r
Name      : {name:<40} Date : 11/24/2026\r
Contact   : Unknown                                  Time : 03:12:09\r
Location  : baie-1                                   User : Administrator\r
Up Time   : 212 Days 3 Hours 2 Minutes               Stat : P+ N+ A+\r
\r
Type ? for command listing\r
Use tcpip command for IP address(-i), subnet(-s), and gateway(-g)\r
\r
"""
HELP = """E000: Success\r
System Commands:\r
---------------------------------------------------------------------------\r
?           about       alarmcount  boot        cd          date\r
delete      dir         eventlog    exit        format      ftp\r
help        netstat     ping        portspeed   prompt      quit\r
\r
Device Commands:\r
---------------------------------------------------------------------------\r
olName      olOff       olOn        olReboot    olStatus\r
devReading  phReading\r
"""


def parse_outlets(text: str, names: dict[int, str]) -> list[int] | None:
    """Outlet numbers from `all`, a number, a name, a list or ranges (`1,3-5`);
    None when any part names no outlet (the card's E102)."""
    text = text.strip()
    if text.lower() == "all":
        return sorted(names)
    chosen: list[int] = []
    by_name = {name.lower(): number for number, name in names.items()}
    for part in (p.strip() for p in text.split(",")):
        if part.lower() in by_name:
            chosen.append(by_name[part.lower()])
        elif "-" in part and all(s.strip().isdigit() for s in part.split("-", 1)):
            low, high = (int(s) for s in part.split("-", 1))
            if low > high:
                return None
            chosen.extend(range(low, high + 1))
        elif part.isdigit():
            chosen.append(int(part))
        else:
            return None
    if not chosen or any(number not in names for number in chosen):
        return None
    return sorted(set(chosen))


class _PduServer(asyncssh.SSHServer):
    def __init__(self, pdu: LabPdu) -> None:
        self._pdu = pdu

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and secrets.compare_digest(password, self._pdu.secret)


class LabPdu:
    """The `LabComponent` for the layout's first strip (`pdus.apc`)."""

    def __init__(self) -> None:
        self.secret = secrets.token_urlsafe(12)
        self.host_key = new_host_key()
        self.listener = SwitchedPort()
        self.name = "apc"
        self.world: World | None = None
        self.names: dict[int, str] = {}
        self._session_open = False
        self.logins = 0  # CLI sessions opened (shared readings spare the card some)
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[asyncssh.SSHServerProcess[str]] = set()
        self._reconciler: asyncio.Task[None] | None = None

    @property
    def target(self) -> str:
        return f"pdu:{self.name}"

    async def start(self, world: World, directory: Path) -> dict[str, Any]:
        self.world = world
        if not world.layout.pdus:
            return {}
        strip = next(iter(world.layout.pdus.values()))
        self.name = strip.name
        for outlet in range(1, strip.outlets + 1):
            fed = devices_on_outlet(world.layout, strip.name, outlet)
            self.names[outlet] = fed[0].name if fed else f"Outlet {outlet}"
        secret = directory / SECRET_FILE
        secret.write_text(self.secret + "\n", encoding="utf-8")
        os.chmod(secret, 0o600)
        await self.listener.reserve()
        await self._reconcile()
        self._reconciler = asyncio.create_task(every(RECONCILE_SECONDS, self._reconcile))
        return {
            "pdus": {
                strip.name: {
                    "host": LOCALHOST,
                    "port": self.listener.port,
                    "user": USER,
                    "password_file": SECRET_FILE,
                    "known_hosts": "known_hosts",
                }
            },
            "_known_hosts": [known_hosts_line(LOCALHOST, self.listener.port, self.host_key)],
        }

    async def _reconcile(self) -> None:
        assert self.world is not None
        mode = "ssh"
        if self.world.fault(self.target, FaultKind.REFUSED):
            mode = CLOSED
        elif self.world.fault(self.target, FaultKind.BLACKHOLE):
            mode = BLACKHOLE

        async def start(port: int) -> asyncssh.SSHAcceptor:
            return await asyncssh.create_server(
                lambda: _PduServer(self),
                LOCALHOST,
                port,
                server_host_keys=[self.host_key],
                process_factory=self._session,
                encoding="utf-8",
                reuse_address=True,
            )

        await self.listener.switch(mode, start)

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
        for task in list(self._tasks):
            task.cancel()
        for process in list(self._connections):
            process.channel.get_connection().abort()
        await self.listener.shut()

    # -- the CLI session --------------------------------------------------------

    async def _session(self, process: asyncssh.SSHServerProcess[str]) -> None:
        assert self.world is not None
        if process.command is not None:
            process.stderr.write("exec request refused: the NMC only offers its CLI\r\n")
            process.exit(1)
            return
        if self._session_open or self.world.fault(self.target, FaultKind.PDU_BUSY):
            process.stdout.write(
                "\r\nUser 'apc' is already logged in: the card allows only "
                "one CLI session. Try again later.\r\n"
            )
            process.exit(1)
            return
        self._session_open = True
        self.logins += 1
        self._connections.add(process)
        try:
            process.stdout.write(BANNER.format(name=self.name) + "apc>")
            while True:
                line = await process.stdin.readline()
                if not line:
                    break
                command = line.strip()
                if command.lower() in ("exit", "quit", "logout", "bye"):
                    process.stdout.write("\r\nBye.\r\n")
                    break
                if self.world.fault(self.target, FaultKind.DROP_MID_COMMAND) and command:
                    process.channel.get_connection().abort()
                    return
                reply = self.execute(command) if command else ""
                process.stdout.write(reply + "\r\napc>")
            process.exit(0)
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
            process.exit(0)
        except (asyncssh.DisconnectError, ConnectionError, BrokenPipeError):
            pass
        finally:
            self._session_open = False
            self._connections.discard(process)

    def execute(self, command: str) -> str:
        """The card's reply to one command line (without the prompt)."""
        assert self.world is not None
        words = command.split(None, 1)
        verb = words[0]
        argument = words[1] if len(words) > 1 else ""
        if self.world.fault(self.target, FaultKind.PDU_ERROR):
            return "E102: Parameter Error"
        if verb in ("?", "help"):
            return HELP.rstrip("\r\n")
        handlers = {
            "olstatus": self._status,
            "olon": lambda a: self._switch(a, True),
            "oloff": lambda a: self._switch(a, False),
            "olreboot": self._reboot,
            "olname": self._rename,
            "phreading": self._phase_reading,
            "devreading": self._device_reading,
        }
        handler = handlers.get(verb.lower())
        if handler is None:
            return "E101: Command Not Found"
        return handler(argument)

    def _status_lines(self, outlets: list[int]) -> list[str]:
        assert self.world is not None
        states = self.world.outlets(self.name)
        return [f" {n}: {self.names[n]}: {'On' if states[n] else 'Off'}" for n in outlets]

    def _status(self, argument: str) -> str:
        outlets = parse_outlets(argument or "all", self.names)
        if outlets is None:
            return "E102: Parameter Error"
        return "\r\n".join(["E000: Success", *self._status_lines(outlets)])

    def _switch(self, argument: str, on: bool) -> str:
        assert self.world is not None
        outlets = parse_outlets(argument, self.names) if argument else None
        if outlets is None:
            return "E102: Parameter Error"
        for outlet in outlets:
            self.world.set_outlet(self.name, outlet, on)
        return "E000: Success"

    def _reboot(self, argument: str) -> str:
        assert self.world is not None
        outlets = parse_outlets(argument, self.names) if argument else None
        if outlets is None:
            return "E102: Parameter Error"
        for outlet in outlets:
            self.world.set_outlet(self.name, outlet, False)
        task = asyncio.get_running_loop().create_task(self._back_on(outlets))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return "E000: Success"

    async def _back_on(self, outlets: list[int]) -> None:
        assert self.world is not None
        await asyncio.sleep(REBOOT_SECONDS)
        for outlet in outlets:
            self.world.set_outlet(self.name, outlet, True)

    def load_amps(self) -> float:
        """What the strip carries now: every powered device it feeds, once."""
        assert self.world is not None
        states = self.world.outlets(self.name)
        fed = {
            device.name: device
            for outlet, on in states.items()
            if on
            for device in devices_on_outlet(self.world.layout, self.name, outlet)
        }
        return sum(DRAW_AMPS[device.kind.value] for device in fed.values())

    def _phase_reading(self, argument: str) -> str:
        if argument.lower().split() not in (["all", "current"], ["1", "current"]):
            return "E102: Parameter Error"
        return f"E000: Success\r\n1: {self.load_amps():.1f} A"

    def _device_reading(self, argument: str) -> str:
        if argument.lower().strip() != "power":
            return "E102: Parameter Error"
        return f"E000: Success\r\n{self.load_amps() * VOLTS / 1000:.2f} kW"

    def _rename(self, argument: str) -> str:
        parts = argument.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) not in self.names:
            return "E102: Parameter Error"
        self.names[int(parts[0])] = parts[1].strip()[:20]
        return "E000: Success"
