"""`lautre-tui demo`: the app against the simulated lab, nothing else to set up.

The lab runs as a child process (`lautre-tui lab --until-stdin-closes`) in a
temporary folder that also holds the demo's transcripts and audit log; host key
checking stays on. Whatever ends the demo (q, an exception, SIGTERM, or SIGHUP
when the admin's SSH session drops) stops the lab and removes the folder; if this
process is killed outright, the lab still sees its stdin close and stops.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from lautre_tui.locations import STATE_ENV

READY = "lab ready: "
START_TIMEOUT = 60.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="try the app on the simulated lab (L'Autre Net on 127.0.0.1)",
        description="Start the simulated lab on 127.0.0.1 in a temporary folder and run the "
        "app against it, host key checking on. `f` injects faults for training. Quitting "
        "leaves no process, port or file behind.",
    )
    parser.add_argument(
        "--hosts", type=int, default=0, metavar="N", help="add N generated servers in extra racks"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="reproducible drift and occasional service blips",
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every power action")
    parser.set_defaults(handler=run)


class LabProcess:
    """The lab as a child process that dies with us."""

    def __init__(self, directory: Path, hosts: int, seed: int | None) -> None:
        command = [
            sys.executable,
            "-m",
            "lautre_tui",
            "lab",
            "--dir",
            str(directory),
            "--until-stdin-closes",
            "--hosts",
            str(hosts),
        ]
        if seed is not None:
            command += ["--seed", str(seed)]
        self.log = directory / "lab.log"
        with self.log.open("wb") as log:
            # run from its own folder: `-m` puts the working directory first on the path,
            # and a source checkout there would shadow the installed package
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=directory
            )

    def wait_ready(self) -> Path:
        """The lab's layout once it listens; raises RuntimeError with its log otherwise."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode(errors="replace") if ready else ""
        if not line.startswith(READY):
            raise RuntimeError(f"the lab did not start: {self.log.read_text(errors='replace')}")
        return Path(line[len(READY) :].strip())

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> int:
    from lautre_tui.cli.tui import run_app
    from lautre_tui.lab.control import send

    directory = Path(tempfile.mkdtemp(prefix="lautre-tui-demo-"))
    previous = {
        signum: signal.signal(signum, _exit_on_signal) for signum in (signal.SIGTERM, signal.SIGHUP)
    }
    os.environ[STATE_ENV] = str(directory / "state")
    lab = LabProcess(directory, args.hosts, args.seed)
    try:
        layout_path = lab.wait_ready()
        return run_app(
            layout_path, read_only=args.read_only, fault_injector=lambda line: send(directory, line)
        )
    except RuntimeError as error:
        print(f"lautre-tui demo: {error}", file=sys.stderr)
        return 1
    finally:
        lab.stop()
        shutil.rmtree(directory, ignore_errors=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
