"""`lautre-tui schema`: print the layout's JSON Schema, for editors and CI.

The repository carries the same text in `layouts/layout.schema.json`, which
layouts name in their first line (`# yaml-language-server: $schema=…`).
"""

from __future__ import annotations

import argparse
import sys

from lautre_tui.model.schema_json import schema_text


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "schema",
        help="print the layout's JSON Schema (draft 2020-12)",
        description="Print the JSON Schema of layout files, derived from the same "
        "declarations as the loader's checks. Editors with the YAML language server "
        "use it to complete keys and flag wrong values; `validate` checks the rest "
        "(references, overlaps, cycles). Exit 0.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0
