"""Status rounds at scale, side by side with OpenSSH and a bare asyncssh floor.

For each size, a lab (`lautre-tui lab --hosts`) runs in its own process; then, on
the same hosts and the same probe:
  - ours: the Poller, first round (connect + probe) and steady round (open
    connections), in a child process so that its peak RSS is its own;
  - floor: bare asyncssh, connect and run the probe text, no parsing, no state;
  - OpenSSH: `ssh` fanned out 50 at a time, fresh connections, then through
    ControlMaster masters (skipped at 1000 hosts: ~3.7 MB a master);
  - mixed: the same size with a fifth of the devices without a shell (reach
    checks by TCP instead of SSH probes): its steady round against ours all-SSH
    (goal: no more than 10% slower).
Run: `.venv/bin/python benchmarks/poll.py [--sizes 15,200,1000]`. Figures only:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncssh

from lautre_tui.backends.probe import REMOTE_COMMAND, probe_script
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout

FAN_OUT = 50
STEADY_ROUNDS = 5  # the steady round is their median: a busy machine's outliers aside
LAB_SERVERS = 12  # servers in L'Autre Net's own layout


def servers(layout: Layout) -> list[tuple[str, int, str]]:
    """(name, port, probe script) of every server of the lab."""
    return [
        (d.name, layout.ssh_for(d).port or 22, probe_script(d.services))
        for d in layout.devices.values()
        if d.kind.value == "server" and d.state.value != "standby"
    ]


async def ours(layout_path: Path) -> dict[str, float]:
    from lautre_tui.services.poller import Poller

    layout = load_layout(layout_path).layout
    assert layout is not None
    poller = Poller(layout, concurrency=FAN_OUT)
    first = await poller.run_round()
    steady = sorted([(await poller.run_round()).duration for _ in range(STEADY_ROUNDS)])
    await poller.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first": first.duration, "steady": steady[len(steady) // 2], "rss_mb": rss}


async def floor(layout_path: Path) -> dict[str, float]:
    layout = load_layout(layout_path).layout
    assert layout is not None
    known = asyncssh.read_known_hosts(str(layout.ssh.known_hosts))
    keys = [asyncssh.read_private_key(str(path)) for path in layout.ssh.client_keys or ()]
    gate = asyncio.Semaphore(FAN_OUT)
    hosts = servers(layout)

    async def connect(port: int) -> asyncssh.SSHClientConnection:
        async with gate:
            return await asyncssh.connect(
                "127.0.0.1", port, username="root", known_hosts=known, client_keys=keys
            )

    started = time.perf_counter()
    connections = await asyncio.gather(*(connect(port) for _name, port, _s in hosts))
    await asyncio.gather(
        *(c.run(REMOTE_COMMAND, input=s) for c, (_n, _p, s) in zip(connections, hosts, strict=True))
    )
    first = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(
        *(c.run(REMOTE_COMMAND, input=s) for c, (_n, _p, s) in zip(connections, hosts, strict=True))
    )
    steady = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {"first": first, "steady": steady}


def openssh_command(layout: Layout, control: Path | None) -> list[str]:
    """`ssh` as the benchmark runs it: the lab's key and known_hosts, strict checking."""
    command = [
        "ssh",
        "-o",
        f"UserKnownHostsFile={layout.ssh.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-i",
        str((layout.ssh.client_keys or ())[0]),
    ]
    if control is not None:
        command += ["-o", f"ControlPath={control}/%p"]
    return command


def openssh(layout_path: Path, control: Path | None) -> float:
    layout = load_layout(layout_path).layout
    assert layout is not None
    base = openssh_command(layout, control)
    hosts = servers(layout)
    started = time.perf_counter()
    for chunk in range(0, len(hosts), FAN_OUT):
        running = [
            (
                subprocess.Popen(
                    [*base, "-p", str(port), "root@127.0.0.1", REMOTE_COMMAND],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
                script,
            )
            for _name, port, script in hosts[chunk : chunk + FAN_OUT]
        ]
        for process, script in running:
            process.communicate(script.encode())
    return time.perf_counter() - started


def start_masters(layout_path: Path, control: Path) -> None:
    layout = load_layout(layout_path).layout
    assert layout is not None
    for _name, port, _script in servers(layout):
        subprocess.run(
            [
                *openssh_command(layout, control),
                "-M",
                "-N",
                "-f",
                "-p",
                str(port),
                "root@127.0.0.1",
            ],
            check=True,
        )


def stop_masters(layout_path: Path, control: Path) -> None:
    for socket in control.iterdir():
        subprocess.run(
            ["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "x"],
            capture_output=True,
            check=False,
        )


def child(mode: str, layout_path: Path) -> dict[str, Any]:
    """Run `mode` in a fresh interpreter, so that timings and RSS are its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(layout_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def mixed(size: int, all_ssh_steady: float) -> None:
    """A fifth of `size` without a shell: reach checks instead of SSH probes."""
    from tests.lab_helpers import lab_command  # the tests' own helper

    reach_only = size // 5
    hosts = size - LAB_SERVERS - reach_only
    with (
        tempfile.TemporaryDirectory() as folder,
        lab_command(
            [sys.executable, "-m", "lautre_tui"],
            dict(os.environ),
            Path(folder) / "lab",
            "--hosts",
            str(hosts),
            "--reach-only",
            str(reach_only),
            ready_within=600,
        ),
    ):
        mine = child("ours", Path(folder) / "lab" / "layout.yaml")
    ratio = mine["steady"] / all_ssh_steady
    print(
        f"  mixed  ({reach_only} without a shell) first {mine['first']:6.2f} s  steady "
        f"{mine['steady']:6.3f} s  = {ratio:.2f}x the all-SSH steady round (goal <= 1.10x)"
    )


def measure(size: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.lab_helpers import lab_command  # the tests' own helper

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        started = time.perf_counter()
        with lab_command(
            [sys.executable, "-m", "lautre_tui"],
            dict(os.environ),
            directory / "lab",
            "--hosts",
            str(size - LAB_SERVERS),
            ready_within=600,
        ) as lab:
            lab_start = time.perf_counter() - started
            layout_path = directory / "lab" / "layout.yaml"
            status = Path(f"/proc/{lab.pid}/status").read_text()
            lab_rss = int(status.split("VmRSS:")[1].split()[0])
            mine = child("ours", layout_path)
            bare = child("floor", layout_path)
            print(f"\n{size} hosts (lab: up in {lab_start:.1f} s, {lab_rss // 1024} MB)")
            print(
                f"  ours   first {mine['first']:6.2f} s  steady {mine['steady']:6.3f} s  "
                f"peak RSS {mine['rss_mb']:.0f} MB"
            )
            print(
                f"  floor  first {bare['first']:6.2f} s  steady {bare['steady']:6.3f} s  "
                f"(bare asyncssh)"
            )
            print(f"  ours/floor steady: {mine['steady'] / bare['steady']:.2f}x")
            if size <= 200:
                fresh = openssh(layout_path, None)
                control = directory / "control"
                control.mkdir()
                start_masters(layout_path, control)
                try:
                    muxed = openssh(layout_path, control)
                finally:
                    stop_masters(layout_path, control)
                print(f"  OpenSSH fresh       {fresh:6.2f} s  (fan-out {FAN_OUT})")
                print(f"  OpenSSH ControlMaster {muxed:6.3f} s")
                print(f"  OpenSSH ControlMaster / ours steady: {muxed / mine['steady']:.1f}x")
            else:
                print("  OpenSSH skipped at this size (a ControlMaster costs ~3.7 MB a host)")
    mixed(size, mine["steady"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="15,200,1000")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path = args.child
        runner = ours if mode == "ours" else floor
        print(json.dumps(asyncio.run(runner(Path(path)))))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size)


if __name__ == "__main__":
    main()
