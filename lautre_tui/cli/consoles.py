"""`lautre-tui consoles`: every console of the layout and who is on it (conserver's
`console -u`), from the claims and the holders' sockets in the state folder; no
console server is contacted."""

from __future__ import annotations

import argparse
import asyncio
import sys

from lautre_tui.cli.common import add_layout_option
from lautre_tui.locations import find_layout
from lautre_tui.model.loader import load_layout


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "consoles",
        help="list the layout's consoles and who holds or watches each",
        description="List every console of the layout: free, or who holds it (since when, "
        "from where, idle how long) and who watches it, on this bastion.",
    )
    add_layout_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lautre_tui.model.names import printable
    from lautre_tui.services.console import attendees, holder, local_time, who_lines

    result = load_layout(find_layout(args.layout), check=False)
    if result.layout is None:
        for error in result.errors:
            print(error, file=sys.stderr)
        return 1
    consoles = [d for d in result.layout.devices.values() if d.console is not None]
    width = max((len(d.name) for d in consoles), default=4)
    for device in sorted(consoles, key=lambda d: d.name):
        assert device.console is not None
        where = f"{device.console.server}:{device.console.port}"
        other = holder(device.name)
        if other is None:
            print(f"{device.name:<{width}}  {where:<14}  free")
            continue
        people = asyncio.run(attendees(device.name))
        if not people:
            said = f"{other.user} since {local_time(other.since)} from {other.source}"
            print(f"{device.name:<{width}}  {where:<14}  {printable(said)} (not answering)")
            continue
        lines = [printable(line) for line in who_lines(people)]  # other processes' words
        print(f"{device.name:<{width}}  {where:<14}  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':<{width}}  {'':<14}  {line}")
    return 0
