"""Small helpers for tests that talk to the lab over its real protocols."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncssh

from lautre_tui.lab.runner import Lab
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout

WAIT = 20.0


@contextmanager
def lab_command(
    cli: list[str], env: dict[str, str], directory: Path, *options: str, ready_within: float = 60
) -> Iterator[subprocess.Popen[str]]:
    """`lautre-tui lab --dir DIRECTORY OPTIONS…` as a separate process (for tests and
    benchmarks), once it has said `lab ready: DIRECTORY/layout.yaml`; stopped (SIGTERM,
    then SIGKILL) afterwards if the caller has not stopped it."""
    lab = subprocess.Popen(
        [*cli, "lab", "--dir", str(directory), *options], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert lab.stdout is not None
        ready, _, _ = select.select([lab.stdout], [], [], ready_within)
        assert ready, "the lab never said it was ready"
        assert lab.stdout.readline() == f"lab ready: {directory / 'layout.yaml'}\n"
        yield lab
    finally:
        if lab.poll() is None:
            lab.terminate()
            try:
                lab.wait(30)
            except subprocess.TimeoutExpired:
                lab.kill()
                lab.wait()
        if lab.stdout is not None:
            lab.stdout.close()


async def lab_cli(
    lab: Lab, *args: str, user: str = "admin2", layout: Path | None = None
) -> tuple[int, str, str]:
    """`lautre-tui ARGS --layout LAB` (or `layout`) as its own process, on the shared state."""
    env = dict(os.environ, USER=user, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    env.pop("SUDO_USER", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lautre_tui",
        *args,
        "--layout",
        str(layout or lab.layout_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def lab_layout(lab: Lab) -> Layout:
    result = load_layout(lab.layout_path)
    assert result.errors == [] and result.layout is not None
    return result.layout


def ssh_port(lab: Lab, device: str) -> int:
    port = lab_layout(lab).ssh_for(lab_layout(lab).devices[device]).port
    assert port is not None
    return port


async def connect(lab: Lab, device: str, **options: Any) -> asyncssh.SSHClientConnection:
    """A connection to a lab host, its key checked against the lab's known_hosts."""
    options.setdefault("connect_timeout", 10)
    return await asyncssh.connect(
        "127.0.0.1",
        ssh_port(lab, device),
        username="root",
        known_hosts=asyncssh.read_known_hosts(str(lab.known_hosts)),
        client_keys=[str(lab.client_key)],
        **options,
    )


def serves(lab: Lab, device: str) -> str:
    """What the lab's port for `device` serves now: "closed", "blackhole", "ssh" or
    "other-key" (the lab's reconcile loop makes it follow the world)."""
    return lab.ssh_hosts.hosts[device].listener.mode


def connect_outcome(port: int) -> str:
    """ "refused", "accepted", or "reset" (the lab was swapping its listener: ask again)."""
    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return "refused"
        except OSError:
            return "reset"
        return "accepted"


def port_refuses(port: int) -> bool:
    return connect_outcome(port) == "refused"


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = WAIT
) -> None:
    """Wait until `condition` holds (the lab reconciles ports every 0.2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)


async def run_on(
    lab: Lab, device: str, command: str, timeout: float = WAIT
) -> asyncssh.SSHCompletedProcess:
    async with await connect(lab, device, connect_timeout=min(timeout, 10)) as connection:
        result = await connection.run(command, timeout=timeout)
    return result


async def refuses_ssh(lab: Lab, device: str) -> bool:
    return await asyncio.to_thread(port_refuses, ssh_port(lab, device))


async def answers_ssh(lab: Lab, device: str) -> bool:
    """One try, a short one: `eventually` asks again (a port still black-holed since
    the last reconcile would otherwise hold the caller for the whole timeout)."""
    try:
        return (await run_on(lab, device, "hostname", timeout=2)).stdout == f"{device}\n"
    except (OSError, asyncssh.Error, asyncio.TimeoutError):
        return False


async def accepts_tcp(lab: Lab, device: str) -> bool:
    return await asyncio.to_thread(connect_outcome, ssh_port(lab, device)) == "accepted"


async def presents_another_key(lab: Lab, device: str) -> bool:
    """The host's key no longer matches the lab's known_hosts (fault in force)."""
    try:
        connection = await connect(lab, device)
    except asyncssh.HostKeyNotVerifiable:
        return True
    except (OSError, asyncssh.Error):
        return False
    connection.close()
    return False
