"""`lautre-tui check HOST CHECK`: one check of one device, as a Nagios plugin.

What Icinga 2 (see `export icinga2`) runs: one line `STATE: text | perfdata`,
exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a bad layout, host or check name too).
Icinga keeps stderr with the output, so layout warnings are not printed here.
"""

from __future__ import annotations

import argparse
import sys

from lautre_tui.cli.common import add_layout_option
from lautre_tui.locations import find_layout
from lautre_tui.model.loader import load_layout


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check",
        help="run one check of one device once, as a Nagios plugin (for Icinga 2)",
        description="Measure one check of one device with a fresh connection, as the "
        "status poller does, and print one Nagios plugin line (perfdata where there is a "
        "figure). CHECK is a check name of the layout, `tcp PORT` or `ping` for reach "
        "checks, `card` or `load` for a strip, or `host` (does the device answer). Exit "
        "code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    )
    add_layout_option(parser)
    parser.add_argument("host", metavar="HOST", help="device name in the layout")
    parser.add_argument("check", metavar="CHECK", help="check name (see above)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from lautre_tui.services.one_check import checks_of, run_check

    path = find_layout(args.layout)
    result = load_layout(path)
    if result.layout is None or result.errors:  # the plugin's one line says why
        first = str(result.errors[0]) if result.errors else "cannot be loaded"
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        print(f"UNKNOWN: layout {path}: {first}{more}")
        return 3
    layout = result.layout
    device = layout.devices.get(args.host)
    if device is None:
        print(f"UNKNOWN: no device {args.host!r} in {layout.source}")
        return 3
    known = checks_of(layout, device)
    if args.check not in known:
        print(f"UNKNOWN: {args.host} has no check {args.check!r} (it has: {', '.join(known)})")
        return 3
    try:
        outcome = asyncio.run(run_check(layout, device, args.check))
    except Exception as error:  # a plugin must answer UNKNOWN, never a traceback
        print(f"UNKNOWN: the check itself failed: {error.__class__.__name__}: {error}")
        return 3
    print(outcome.line())
    sys.stdout.flush()
    return int(outcome.state)
