"""`lautre-tui export icinga2`: the layout as Icinga 2 configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lautre_tui.cli.common import add_layout_option, print_errors
from lautre_tui.locations import find_layout
from lautre_tui.model.icinga_config import COMMAND, export_icinga2
from lautre_tui.model.loader import load_layout

FILE_NAME = "lautre-tui.conf"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export",
        help="write the layout as another tool's configuration (icinga2)",
        description="Write the layout as Icinga 2 objects: a CheckCommand running "
        "`lautre-tui check`, a Host per device, a Service per check (reach checks with the "
        "ITL's tcp and ping), Dependency objects from depends_on. Same layout, same bytes. "
        "Exit 0, or 1 if the layout cannot be loaded or the file cannot be written.",
    )
    parser.add_argument("format", choices=["icinga2"], help="what to write")
    add_layout_option(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help=f"write DIR/{FILE_NAME} (default: standard output)",
    )
    parser.add_argument(
        "--command",
        metavar="PATH",
        default=COMMAND,
        help=f"the lautre-tui program Icinga runs (default: {COMMAND}, found in its PATH)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = find_layout(args.layout)
    result = load_layout(path)
    print_errors(result)
    if result.layout is None or result.errors:
        return 1
    text = export_icinga2(result.layout, str(path.resolve()), args.command)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    target = Path(args.out).expanduser() / FILE_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        print(
            f"lautre-tui export: cannot write {target}: {error.strerror or error}", file=sys.stderr
        )
        return 1
    print(f"wrote {target}: {len(result.layout.devices)} hosts")
    return 0
