"""`lautre-tui validate FILE...`: check layouts without starting anything."""

from __future__ import annotations

import argparse

from lautre_tui.cli.common import print_errors
from lautre_tui.model.loader import load_layout


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "validate",
        help="check layout files and report every error as FILE:LINE:COL",
        description="Check layout files. Prints `OK: FILE: N devices in M racks` for a good "
        "file; otherwise every error as FILE:LINE:COL: message on stderr. Exit 0 if every "
        "file is good, 1 otherwise.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="layout files to check")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for file in args.files:
        result = load_layout(file)
        print_errors(result)
        if result.ok and result.layout is not None:
            layout = result.layout
            count = len(result.warnings)
            warned = f", {count} warning{'s' if count > 1 else ''}" if count else ""
            racks = f"{len(layout.racks)} rack{'s' if len(layout.racks) != 1 else ''}"
            print(f"OK: {file}: {len(layout.devices)} devices in {racks}{warned}")
        else:
            status = 1
    return status
