"""Debian's real `ser2net` on loopback, for tests and the console benchmark.

`running_ser2net(folder)` starts, for each accepter (RFC 2217, telnet, raw TCP),
a `socat` pseudo-terminal pair, a small host process on one end (a login
prompt, an echo, a record of the bytes it received: `ser2net_host.py`), and one
`ser2net` with its own YAML config serving the other ends on free loopback
ports. Readiness is polled (the pty links, the host's record file, a TCP
connect to each port), each wait with a deadline; everything is stopped on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

ACCEPTERS = {
    "rfc2217": "telnet(rfc2217),tcp",
    "telnet": "telnet,tcp",
    "raw": "tcp",
}
HOST_SCRIPT = Path(__file__).with_name("ser2net_host.py")
READY_WAIT = 15.0
BAUD = 9600


@dataclass
class Ser2net:
    """A running ser2net: its TCP port and host record per accepter."""

    folder: Path
    ports: dict[str, int] = field(default_factory=dict)
    records: dict[str, Path] = field(default_factory=dict)

    def host_name(self, accepter: str) -> str:
        return f"via-{accepter}"

    def received(self, accepter: str) -> bytes:
        """Every byte the host behind `accepter` received so far."""
        return self.records[accepter].read_bytes()

    def layout(self) -> Path:
        """A layout with one console server per accepter, written as admins would:
        the plain `rfc2217://HOST:{tcp_port}` template, no URL options."""
        servers = []
        devices = []
        for u, (accepter, port) in enumerate(self.ports.items(), start=1):
            url = (
                "rfc2217://127.0.0.1:{tcp_port}"
                if accepter == "rfc2217"
                else "socket://127.0.0.1:{tcp_port}"
            )
            protocol = "telnet" if accepter == "telnet" else None
            servers.append(
                f"  ser2net-{accepter}:\n    url: {url}\n    port_offset: {port - 1}\n"
                + (f"    protocol: {protocol}\n" if protocol else "")
            )
            devices.append(
                f"  {self.host_name(accepter)}:\n    rack: r1\n    u: {u}\n"
                f"    kind: server\n    state: production\n"
                f"    console: {{server: ser2net-{accepter}, port: 1, baud: {BAUD}}}\n"
            )
        text = (
            "site: ser2net\nracks:\n  - name: r1\n    height: 10\nconsoles:\n"
            + "".join(servers)
            + "devices:\n"
            + "".join(devices)
        )
        path = self.folder / "layout.yaml"
        path.write_text(text)
        return path


def tools_or_skip() -> None:
    """Skip without ser2net or socat, except in CI (`CI=true`), where they must be."""
    missing = [tool for tool in ("ser2net", "socat") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not installed (scripts/test.sh installs them)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must have them")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], what: str, timeout: float = READY_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:g} s")
        time.sleep(0.02)


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _ready(daemon: subprocess.Popen[bytes], port: int) -> bool:
    """The port accepts, or ser2net has exited (said just after)."""
    return daemon.poll() is not None or accepts(port)


@contextlib.contextmanager
def running_ser2net(folder: Path) -> Iterator[Ser2net]:
    folder.mkdir(parents=True, exist_ok=True)
    server = Ser2net(folder)
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    try:
        config = []
        for index, (accepter, stack) in enumerate(ACCEPTERS.items()):
            host, device = folder / f"host{index}", folder / f"dev{index}"
            start(
                f"socat{index}",
                [
                    "socat",
                    "-d",
                    "-d",
                    f"pty,raw,echo=0,link={host}",
                    f"pty,raw,echo=0,link={device}",
                ],
            )
            for end in (host, device):
                wait_until(end.exists, f"socat pair {index}")
            record = folder / f"received-{accepter}"
            start(
                f"host{index}",
                [sys.executable, str(HOST_SCRIPT), str(host), str(record), f"via-{accepter}"],
            )
            wait_until(record.exists, f"host process {index}")
            server.records[accepter] = record
            port = free_port()
            server.ports[accepter] = port
            config.append(
                f"connection: &{accepter}\n"
                f"    accepter: {stack},127.0.0.1,{port}\n"
                f"    connector: serialdev,{device},{BAUD}n81,local\n"
            )
        path = folder / "ser2net.yaml"
        path.write_text("".join(config))
        daemon = start(
            "ser2net", ["ser2net", "-n", "-d", "-c", str(path), "-P", str(folder / "ser2net.pid")]
        )
        for accepter, port in server.ports.items():
            try:
                wait_until(partial(_ready, daemon, port), f"ser2net {accepter}")
            except TimeoutError as error:
                raise TimeoutError(f"{error}: {(folder / 'ser2net.log').read_text()}") from None
            if daemon.poll() is not None:
                raise RuntimeError(f"ser2net exited: {(folder / 'ser2net.log').read_text()}")
        yield server
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
