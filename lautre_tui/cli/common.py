"""What several sub-commands share: loading the layout and reporting its errors."""

from __future__ import annotations

import argparse
import sys

from lautre_tui.model.layout_file import LoadResult


def add_layout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--layout",
        metavar="FILE",
        default=None,
        help="layout file (default: $LAUTRE_TUI_LAYOUT, then "
        "$XDG_CONFIG_HOME/lautre-tui/layout.yaml, then L'Autre Net's shipped layout)",
    )


def print_errors(result: LoadResult) -> None:
    """Errors, then warnings (which never make a command refuse the layout)."""
    for error in [*result.errors, *result.warnings]:
        print(error, file=sys.stderr)
