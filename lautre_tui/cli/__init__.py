"""The `lautre-tui` command: argument parsing and dispatch to sub-commands.

Each sub-command lives in its own module with `add_parser()` and `run()`; those
modules import their heavy dependencies (Textual, asyncssh, pyserial) inside
`run()` so that `--help` and `validate` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from lautre_tui import __version__
from lautre_tui.cli import tui

# Each sub-command is the module of that name here, with `add_parser()` and `run()`.
# Only the one named on the command line is imported (none for the app itself): the
# rack's first paint must not wait for every other command's imports.
COMMAND_NAMES: tuple[str, ...] = (
    "tui",
    "validate",
    "status",
    "console",
    "consoles",
    "transcript",
    "power",
    "maint",
    "ack",
    "demo",
    "lab",
    "doctor",
    "schema",
    "check",
    "export",
)
VALUE_OPTIONS = ("--layout", "--interval", "--status-source")  # the app's, before a command


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"lautre_tui.cli.{name}")


def needed(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The sub-commands the parser needs for `argv`: the one it names, none for the app
    itself, every one for help or for a word that is no command (argparse lists them)."""
    if argv is None:
        return COMMAND_NAMES
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help"):
            return COMMAND_NAMES
        if word in VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return (word,) if word in COMMAND_NAMES else COMMAND_NAMES
    return ()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (every sub-command when None)."""
    parser = argparse.ArgumentParser(
        prog="lautre-tui",
        description="Look after L'Autre Net's server rack from the bastion: the rack's "
        "front view, live status over SSH, serial consoles and APC outlets.",
        epilog="Without a command, starts the full-screen app (same as `lautre-tui tui`).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    tui.add_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in needed(argv):
        command_module(name).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(words).parse_args(words)
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
