"""`lautre-tui [tui]`: the full-screen app on the rack of a layout file."""

from __future__ import annotations

import argparse
import sys

from lautre_tui.cli.common import add_layout_option, load_or_report


def add_options(parser: argparse.ArgumentParser) -> None:
    add_layout_option(parser)
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="look only: refuse every power action and open consoles without sending a byte",
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "tui",
        help="the full-screen app (the default command)",
        description="Show the rack's front view and a pane for the selected device.",
    )
    add_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path, layout, result = load_or_report(args.layout)
    if layout is None or not layout.devices:
        print(f"lautre-tui: cannot show {path}: fix the errors above", file=sys.stderr)
        return 1
    from lautre_tui.ui.app import RackApp

    app = RackApp(layout, layout_path=path, errors=result.errors, read_only=args.read_only)
    app.run()
    return app.return_code or 0
