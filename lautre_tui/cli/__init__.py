"""The `lautre-tui` command: argument parsing and dispatch to sub-commands.

Each sub-command lives in its own module with `add_parser()` and `run()`; those
modules import their heavy dependencies (Textual, asyncssh, pyserial) inside
`run()` so that `--help` and `validate` stay instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from lautre_tui import __version__
from lautre_tui.cli import (
    ack,
    check,
    console,
    consoles,
    demo,
    doctor,
    export,
    lab,
    maint,
    power,
    schema,
    status,
    transcript,
    tui,
    validate,
)

COMMANDS: tuple[ModuleType, ...] = (
    tui,
    validate,
    status,
    console,
    consoles,
    transcript,
    power,
    maint,
    ack,
    demo,
    lab,
    doctor,
    schema,
    check,
    export,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lautre-tui",
        description="Look after L'Autre Net's server rack from the bastion: the rack's "
        "front view, live status over SSH, serial consoles and APC outlets.",
        epilog="Without a command, starts the full-screen app (same as `lautre-tui tui`).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    tui.add_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or tui.run
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lautre-tui status | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit must not fail
        return 141
