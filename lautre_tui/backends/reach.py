"""Reachability of devices without a shell: a TCP handshake, or the system's ping.

A TCP check connects and closes without sending a byte (a switch's or a card's
management port must not see a login attempt): an answered handshake is up, a
refusal is "up, port closed" (something answered for the address), a timeout
is no answer. Ping is the system's `ping` (iputils or busybox, both take `-c 1
-W SECONDS`); a missing `ping` is said as such, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
import shutil
from dataclasses import dataclass


class Answer(str, enum.Enum):
    OPEN = "open"  # the handshake was answered
    CLOSED = "closed"  # refused: the address answers, the port is closed
    SILENT = "silent"  # no answer within the timeout
    UNUSABLE = "unusable"  # we cannot check (no ping installed, a name that does not resolve)


@dataclass(frozen=True, slots=True)
class ReachResult:
    name: str  # "tcp 22", "ping"
    answer: Answer
    detail: str


async def tcp(host: str, port: int, timeout: float) -> ReachResult:
    name = f"tcp {port}"
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return ReachResult(name, Answer.SILENT, f"no answer on port {port} within {timeout:g} s")
    except ConnectionRefusedError:
        return ReachResult(name, Answer.CLOSED, f"up, port {port} closed")
    except (UnicodeError, ValueError) as error:
        return ReachResult(name, Answer.UNUSABLE, f"cannot connect to {host!r}: {error}")
    except OSError as error:
        return ReachResult(name, Answer.SILENT, f"port {port}: {error.strerror or error}")
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ReachResult(name, Answer.OPEN, f"port {port} answers")


async def ping(host: str, timeout: float) -> ReachResult:
    program = shutil.which("ping")
    if program is None:
        return ReachResult("ping", Answer.UNUSABLE, "ping is not installed")
    wait = str(max(1, math.ceil(timeout)))
    try:
        process = await asyncio.create_subprocess_exec(
            program,
            "-c",
            "1",
            "-W",
            wait,
            "--",
            host,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        return ReachResult("ping", Answer.UNUSABLE, f"cannot run ping: {error}")
    try:
        _out, err = await asyncio.wait_for(process.communicate(), timeout + 2)
    except (asyncio.TimeoutError, TimeoutError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return ReachResult("ping", Answer.SILENT, f"no reply within {timeout:g} s")
    if process.returncode == 0:
        return ReachResult("ping", Answer.OPEN, "replies to ping")
    if process.returncode == 1:
        return ReachResult("ping", Answer.SILENT, f"no reply within {wait} s")
    reason = err.decode(errors="replace").strip().splitlines()
    return ReachResult("ping", Answer.UNUSABLE, f"ping failed: {reason[-1] if reason else ''}")
