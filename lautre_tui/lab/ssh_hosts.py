"""The lab's servers as SSH hosts: one asyncssh server per device on 127.0.0.1.

Public-key authentication with the lab's client key only; passwords refused.
A reconcile loop makes each host's port follow the world: it listens only while
the device is up and no fault says otherwise, serves another host key under the
"host key changed" fault, and swallows connections silently under "blackhole".
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncssh

from lautre_tui.lab.hosts import SimHost
from lautre_tui.lab.keys import known_hosts_line, new_host_key, read_client_public_key
from lautre_tui.lab.listener import BLACKHOLE, CLOSED, LOCALHOST, SwitchedPort, every
from lautre_tui.lab.probe_answer import ProbeShell
from lautre_tui.lab.world import FaultKind, PowerEvent, PowerEventKind, World
from lautre_tui.model.layout import DeviceKind
from lautre_tui.model.probe_format import END, MARKER

RECONCILE_SECONDS = 0.2
TICK_SECONDS = 2.0

CommandHandler = Callable[[SimHost, list[str]], tuple[str, int]]


def _hostname(host: SimHost, args: list[str]) -> tuple[str, int]:
    return host.hostname + "\n", 0


def _uname(host: SimHost, args: list[str]) -> tuple[str, int]:
    if args == ["-a"]:
        return (
            f"Linux {host.hostname} 2.6.26-2-686-bigmem #1 SMP Sun Jun 20 2010 i686 GNU/Linux\n",
            0,
        )
    return "Linux\n", 0


def _uptime(host: SimHost, args: list[str]) -> tuple[str, int]:
    seconds = int(host.uptime())
    days, rest = divmod(seconds, 86400)
    load = ", ".join(f"{value:.2f}" for value in host.loadavg)
    return (
        f" up {days} days, {rest // 3600}:{rest % 3600 // 60:02d},  1 user,  load average: "
        f"{load}\n",
        0,
    )


def _cat(host: SimHost, args: list[str]) -> tuple[str, int]:
    out: list[str] = []
    for path in args:
        text = host.proc_file(path)
        if text is None:
            return "".join(out) + f"cat: {path}: No such file or directory\n", 1
        out.append(text)
    return "".join(out), 0


LISTINGS = {
    "/": "bin  boot  dev  etc  home  lib  proc  root  sbin  srv  sys  tmp  usr  var\n",
    "/root": "",
    "/var/log": "auth.log  daemon.log  kern.log  mail.log  messages  syslog\n",
}


def _ls(host: SimHost, args: list[str]) -> tuple[str, int]:
    paths = [arg for arg in args if not arg.startswith("-")] or ["/root"]
    out: list[str] = []
    for path in paths:
        listing = LISTINGS.get(path.rstrip("/") or "/")
        if listing is None:
            return f"ls: cannot access '{path}': No such file or directory\n", 2
        out.append(listing)
    return "".join(out), 0


def _whoami(host: SimHost, args: list[str]) -> tuple[str, int]:
    return "root\n", 0


def _echo(host: SimHost, args: list[str]) -> tuple[str, int]:
    return " ".join(args) + "\n", 0


def _df(host: SimHost, args: list[str]) -> tuple[str, int]:
    lines = ["Filesystem           1K-blocks      Used Available Use% Mounted on"]
    for source, mount, _fstype in host.mounts:
        lines.append(f"{source:<20} {20642428:>10} {8203264:>9} {11390588:>9}  42% {mount}")
    return "\n".join(lines) + "\n", 0


def _ps(host: SimHost, args: list[str]) -> tuple[str, int]:
    running = [name for name in sorted(host.processes) if host.running(name)]
    lines = ["  PID TTY          TIME CMD"]
    lines += [f"{1000 + n:>5} ?        00:00:01 {name}" for n, name in enumerate(running)]
    return "\n".join(lines) + "\n", 0


# What the lab's hosts answer: enough to feel like a Debian host at a prompt.
COMMANDS: dict[str, CommandHandler] = {
    "hostname": _hostname,
    "uname": _uname,
    "uptime": _uptime,
    "cat": _cat,
    "ls": _ls,
    "whoami": _whoami,
    "echo": _echo,
    "df": _df,
    "ps": _ps,
}


class _Server(asyncssh.SSHServer):
    """Authentication and connection tracking for one lab host."""

    def __init__(self, lab_host: _LabHost) -> None:
        self._lab_host = lab_host
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, connection: asyncssh.SSHServerConnection) -> None:
        self._connection = connection
        self._lab_host.connections.add(connection)
        if not self._lab_host.world.device_up(self._lab_host.name):
            connection.abort()  # switched off between two reconciles: nobody answers

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._lab_host.connections.discard(self._connection)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self._lab_host.world.fault(self._lab_host.name, FaultKind.AUTH_FAILURE):
            return False
        return bool(key.public_data == self._lab_host.client_key.public_data)


class _LabHost:
    """One device's SSH port: the server behind it, and its open connections."""

    def __init__(self, sim: SimHost, world: World, client_key: asyncssh.SSHKey) -> None:
        self.sim = sim
        self.name = sim.name
        self.world = world
        self.client_key = client_key
        self.host_key = new_host_key()
        self._other_key: asyncssh.SSHKey | None = None
        self.listener = SwitchedPort()
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return self.listener.port

    def desired_mode(self) -> str:
        world, name = self.world, self.name
        if not world.device_up(name) or world.fault(name, FaultKind.REFUSED):
            return CLOSED
        if world.fault(name, FaultKind.BLACKHOLE):
            return BLACKHOLE
        if world.fault(name, FaultKind.HOST_KEY_CHANGED):
            return "other-key"
        return "ssh"

    async def reconcile(self) -> None:
        mode = self.desired_mode()
        key = self.other_key if mode == "other-key" else self.host_key

        async def start(port: int) -> asyncssh.SSHAcceptor:
            return await asyncssh.create_server(
                lambda: _Server(self),
                LOCALHOST,
                port,
                server_host_keys=[key],
                process_factory=self._process,
                encoding="utf-8",
                reuse_address=True,
            )

        if await self.listener.switch(mode, start) and mode != "ssh":
            for connection in list(self.connections):
                connection.abort()

    @property
    def other_key(self) -> asyncssh.SSHKey:
        if self._other_key is None:
            self._other_key = new_host_key()
        return self._other_key

    def pull_the_plug(self) -> None:
        """Power lost: every session dies and the port stops listening at once."""
        for connection in list(self.connections):
            connection.abort()
        task = asyncio.get_running_loop().create_task(self.reconcile())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        await self.listener.shut()
        self.pull_the_plug()

    async def _process(self, process: asyncssh.SSHServerProcess[str]) -> None:
        """Run one exec request as the simulated host would, faults included."""
        world, name = self.world, self.name
        command = process.command or ""
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if words[:2] == ["sh", "-s"]:
            await self._probe_shell(process)
            return
        slow = world.fault(name, FaultKind.SLOW)
        if slow is not None:
            await asyncio.sleep(slow.delay)
        handler = COMMANDS.get(words[0]) if words else None
        if handler is None:
            output, status = f"sh: 1: {words[0] if words else command}: not found\n", 127
        else:
            output, status = handler(self.sim, words[1:])
        await self._reply(process, output)
        if not process.is_closing():
            process.exit(status)

    async def _probe_shell(self, process: asyncssh.SSHServerProcess[str]) -> None:
        """`sh -s`: the probe's library once, then rounds, as long as the poller
        keeps the session; anything but the probe is refused. A session the client
        closes ends quietly, without taking the connection down."""
        with contextlib.suppress(asyncssh.Error, BrokenPipeError, ConnectionError):
            await self._probe_rounds(process)

    async def _probe_rounds(self, process: asyncssh.SSHServerProcess[str]) -> None:
        shell = ProbeShell(self.sim)
        started = False
        round_output: list[str] = []
        while line := await process.stdin.readline():
            if not started:
                started = line.strip() == MARKER
                if not started and line.strip() and not line.startswith("#"):
                    process.stdout.write("sh: this lab host only runs the lautre-tui probe\n")
                    process.exit(2)
                    return
                continue
            output = shell.line(line)
            if output:
                round_output.append(output)
            if output == END + "\n":
                await self._reply(process, "".join(round_output))
                round_output = []
                if process.is_closing():
                    return
        process.exit(0)

    async def _reply(self, process: asyncssh.SSHServerProcess[str], output: str) -> None:
        """Write an answer, or what the host's faults make of it."""
        world, name = self.world, self.name
        slow = world.fault(name, FaultKind.SLOW)
        if slow is not None and output.endswith(END + "\n"):
            await asyncio.sleep(slow.delay)
        if world.fault(name, FaultKind.GARBAGE):
            noise = bytes(world.rng.randrange(256) for _ in range(120)).decode("latin-1")
            output = noise + ("\n" + END + "\n" if output.endswith(END + "\n") else "")
        if world.fault(name, FaultKind.DROP_MID_COMMAND):
            process.stdout.write(output[: len(output) // 2])
            await asyncio.sleep(0.05)
            process.channel.get_connection().abort()
            return
        process.stdout.write(output)


class SshHosts:
    """The `LabComponent` for every server of the layout (kind `server`)."""

    def __init__(self) -> None:
        self.hosts: dict[str, _LabHost] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] = lambda: None
        self._loop: asyncio.AbstractEventLoop | None = None

    def host(self, name: str) -> SimHost:
        return self.hosts[name].sim

    async def start(self, world: World, directory: Path) -> dict[str, Any]:
        self._loop = asyncio.get_running_loop()
        client_key = read_client_public_key(directory)
        servers = [d for d in world.layout.devices.values() if d.kind is DeviceKind.SERVER]
        addresses = {device.name: f"10.0.0.{10 + n % 240}" for n, device in enumerate(servers)}
        for device in servers:
            sim = SimHost(device, world, addresses.__getitem__, self._sim)
            self.hosts[device.name] = _LabHost(sim, world, client_key)
        for lab_host in self.hosts.values():
            await self._first_listen(lab_host)
        self._unsubscribe = world.subscribe(self._on_power)
        self._tasks = [
            asyncio.create_task(every(RECONCILE_SECONDS, self._reconcile)),
            asyncio.create_task(every(TICK_SECONDS, self._tick)),
        ]
        return {
            "devices": {
                name: {"ssh": {"host": LOCALHOST, "port": h.port}} for name, h in self.hosts.items()
            },
            "_known_hosts": [
                known_hosts_line(LOCALHOST, h.port, h.host_key) for h in self.hosts.values()
            ],
        }

    def _on_power(self, event: PowerEvent) -> None:
        """Power lost: the host's sessions die at once, as with a pulled plug."""
        lab_host = self.hosts.get(event.device)
        if lab_host is not None and self._loop is not None and event.kind is PowerEventKind.OFF:
            self._loop.call_soon_threadsafe(lab_host.pull_the_plug)

    def _sim(self, name: str) -> SimHost | None:
        lab_host = self.hosts.get(name)
        return lab_host.sim if lab_host is not None else None

    async def _first_listen(self, lab_host: _LabHost) -> None:
        """Give every host a port, even one that starts switched off (estelle)."""
        await lab_host.listener.reserve()
        await lab_host.reconcile()

    async def _reconcile(self) -> None:
        for lab_host in self.hosts.values():
            try:
                await lab_host.reconcile()
            except OSError:
                continue  # the port is briefly busy: try again next time

    async def _tick(self) -> None:
        for lab_host in self.hosts.values():
            lab_host.sim.tick(TICK_SECONDS)

    async def close(self) -> None:
        self._unsubscribe()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for lab_host in self.hosts.values():
            await lab_host.close()
