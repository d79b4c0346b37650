"""What several sub-commands share: loading the layout and reporting its errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lautre_tui.locations import find_layout
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import LoadResult, load_layout


def add_layout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--layout",
        metavar="FILE",
        default=None,
        help="layout file (default: $LAUTRE_TUI_LAYOUT, then "
        "$XDG_CONFIG_HOME/lautre-tui/layout.yaml, then L'Autre Net's shipped layout)",
    )


def print_errors(result: LoadResult) -> None:
    for error in result.errors:
        print(error, file=sys.stderr)


def load_or_report(explicit: str | None) -> tuple[Path, Layout | None, LoadResult]:
    """Find and load the layout; print its errors on stderr.

    The layout is returned even with errors when something could be built, so
    that a typo in one device does not lock the admin out of the others.
    """
    path = find_layout(explicit)
    result = load_layout(path)
    print_errors(result)
    return path, result.layout, result
