"""The lab hosts' answer to the status probe, computed from their simulated state.

A lab host has no shell: it reads the probe's call lines (the same quoted lines a
real `sh` would run) and answers each from `SimHost`, in the probe's own format,
so the poller cannot tell it from a real Debian host.
"""

from __future__ import annotations

import time

from lautre_tui.lab.hosts import SimHost
from lautre_tui.model.probe_format import (
    BEGIN,
    CALL_PREFIX,
    END,
    CheckState,
    HostFigures,
    format_figures,
    format_measure,
    format_result,
    parse_calls,
)


class ProbeShell:
    """What `sh -s` does with the probe, one line at a time, as a shell reads its
    stdin: the library's lines define functions (nothing to answer), the round's
    lines answer from the host's state."""

    def __init__(self, host: SimHost) -> None:
        self.host = host

    def line(self, text: str) -> str:
        line = text.strip()
        if line == f"echo {BEGIN!r}":
            return BEGIN + "\n"
        if line == f"echo {END!r}":
            return END + "\n"
        if line == "figures":
            return "".join(f + "\n" for f in format_figures(self._figures()))
        if line.startswith(CALL_PREFIX):
            calls = parse_calls(line)
            if calls and len(calls[0]) >= 2 and calls[0][1].isdigit():
                index, function, args = int(calls[0][1]), calls[0][0], calls[0][2:]
                state, message = _evaluate(self.host, function, args)
                figure = _measure(self.host, function, args)
                measured = "" if figure is None else format_measure(index, figure) + "\n"
                return measured + format_result(index, state, message) + "\n"
        return ""

    def _figures(self) -> HostFigures:
        host = self.host
        return HostFigures(
            load=host.loadavg,
            mem_total_kb=host.mem_total_kb,
            mem_available_kb=host.mem_available_kb,
            swap_total_kb=host.swap_total_kb,
            swap_free_kb=host.swap_free_kb,
            uptime=host.uptime(),
            disks=dict(host.disks),
        )


def answer(host: SimHost, script: str) -> str:
    """The probe's output for a whole `script` on `host`."""
    shell = ProbeShell(host)
    return "".join(shell.line(line) for line in script.splitlines())


def _evaluate(host: SimHost, function: str, args: list[str]) -> tuple[CheckState, str]:
    try:
        if function == "c_process":
            return _process(host, args[0])
        if function == "c_port":
            return _port(host, int(args[0]))
        if function == "c_service":
            return _service(host, args[0])
        if function == "c_mount":
            return _mount(host, args[0], args[1])
        if function == "c_file":
            return _file(host, args[0], args[1], args[2])
        if function == "c_mdstat":
            return _mdstat(host)
        if function == "c_ipvs":
            return _ipvs(host, args[0], int(args[1]))
        if function == "c_command":
            return CheckState.UNKNOWN, f"sh: 1: {args[0].split()[0]}: not found"
    except (IndexError, ValueError):
        return CheckState.UNKNOWN, f"bad call {function}"
    return CheckState.UNKNOWN, f"sh: {function}: not found"


def _measure(host: SimHost, function: str, args: list[str]) -> float | None:
    """The figure the real probe reports on an `F` line: a file's age, or the real
    servers of an LVS service."""
    if function == "c_file" and args:
        file = host.file(args[0])
        return None if file is None else float(int(time.time() - file.mtime))
    if function == "c_ipvs" and args:
        reals = _reals(host, args[0])
        return None if reals is None else float(reals)
    return None


def _process(host: SimHost, name: str) -> tuple[CheckState, str]:
    if host.running(name):
        return CheckState.OK, f"process {name} running"
    return CheckState.CRITICAL, f"process {name} not running"


def _port(host: SimHost, port: int) -> tuple[CheckState, str]:
    if host.listening(port):
        return CheckState.OK, f"port {port} listening"
    return CheckState.CRITICAL, f"nothing listens on port {port}"


def _service(host: SimHost, unit: str) -> tuple[CheckState, str]:
    if unit not in host.services:
        return CheckState.UNKNOWN, f"no systemd unit nor init script for {unit}"
    if host.active(unit):
        return CheckState.OK, f"{unit} running"
    return CheckState.CRITICAL, f"/etc/init.d/{unit} status: not running"


def _mount(host: SimHost, path: str, fstype: str) -> tuple[CheckState, str]:
    found = [t for _source, mount, t in host.mounted() if mount == path]
    nfs_server_up = host.world.device_up("fey") if "fey" in host.world.layout.devices else True
    if not found:
        return CheckState.CRITICAL, f"{path} not mounted"
    if fstype and found[-1] != fstype:
        return CheckState.CRITICAL, f"{path} is {found[-1]}, not {fstype}"
    if found[-1] == "nfs" and not nfs_server_up:
        return CheckState.CRITICAL, f"{path}: nfs server fey not responding"
    return CheckState.OK, f"{path} mounted ({found[-1]})"


def _file(host: SimHost, path: str, max_age: str, contains: str) -> tuple[CheckState, str]:
    file = host.file(path)
    if file is None:
        return CheckState.CRITICAL, f"{path} missing"
    age = int(time.time() - file.mtime)
    if max_age and age > int(max_age):
        return CheckState.CRITICAL, f"{path} is {age}s old (max {max_age}s)"
    if contains and contains.encode() not in file.content:
        return CheckState.CRITICAL, f"{path} does not contain {contains}"
    return CheckState.OK, f"{path} present" + (f", {age}s old" if max_age else "")


def _mdstat(host: SimHost) -> tuple[CheckState, str]:
    text = host.current_mdstat()
    if "_]" in text:
        return CheckState.CRITICAL, "degraded: " + text.splitlines()[1]
    return CheckState.OK, "arrays clean" if "md0" in text else "no md array"


def _reals(host: SimHost, virtual: str) -> int | None:
    """How many real servers the services matching `virtual` have; None if none matches."""
    ip, port = virtual.rsplit(":", 1)
    matching = [
        service
        for service in host.current_ipvs()
        if service.virtual.endswith(f":{port}") and ip in ("0.0.0.0", service.virtual.split(":")[0])
    ]
    return sum(len(service.reals) for service in matching) if matching else None


def _ipvs(host: SimHost, virtual: str, min_real: int) -> tuple[CheckState, str]:
    reals = _reals(host, virtual)
    if reals is None:
        return CheckState.CRITICAL, f"no virtual service {virtual}"
    real = "real server" if reals == 1 else "real servers"
    if reals < min_real:
        return CheckState.CRITICAL, f"{virtual} has {reals} {real} (needs {min_real})"
    return CheckState.OK, f"{virtual} has {reals} {real}"
