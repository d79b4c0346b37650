"""`lautre-tui status`: one round of checks, for a terminal, cron or a monitoring system."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lautre_tui.cli.common import add_layout_option, print_errors
from lautre_tui.cli.tui import add_status_source_option
from lautre_tui.locations import find_layout
from lautre_tui.model.durations import format_duration
from lautre_tui.model.health import HostHealth
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.model.validate import measured_by


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help="check every host once and print the result (exit code Nagios-style)",
        description="Probe the hosts once over SSH and print their state: a table on a "
        "terminal, JSON with --json. Exit code is the worst state, Nagios-style: 0 OK, "
        "1 WARNING, 2 CRITICAL, 3 UNKNOWN; a standby host that is off and staging hosts "
        "count as OK.",
    )
    add_layout_option(parser)
    parser.add_argument(
        "--host",
        action="append",
        metavar="H",
        dest="hosts",
        help="only this host (repeat for several)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="a JSON array with one object per device of the layout: state, how it was "
        "measured (ssh, reach, pdu, none), checks and figures",
    )
    parser.add_argument(
        "--include-handled",
        action="store_true",
        help="count problems in maintenance or acknowledged in the exit code too",
    )
    parser.add_argument(
        "--sort",
        choices=("rack", "state"),
        default="rack",
        help="rack: the layout's order (default); state: worst first, as the app's `!`",
    )
    add_status_source_option(parser)
    parser.set_defaults(handler=run)


def as_json(layout: Layout, health: HostHealth, now: float) -> dict[str, Any]:
    figures = health.figures
    return {
        "device": health.device,
        "state": health.verdict.value,
        "measured": measured_by(layout, layout.devices[health.device]),
        "reachability": health.reachability.value,
        "exit_code": health.exit_code,
        "message": health.message,
        "fingerprint": health.fingerprint,
        "checks": [
            {
                "name": c.name,
                "state": c.state.name,
                "last": c.current.name,
                "output": c.output,
                "age": round(now - c.checked_at, 1),
            }
            for c in health.checks
        ],
        "figures": {
            "load": figures.load,
            "mem_total_kb": figures.mem_total_kb,
            "mem_available_kb": figures.mem_available_kb,
            "swap_total_kb": figures.swap_total_kb,
            "swap_free_kb": figures.swap_free_kb,
            "uptime": figures.uptime,
            "disks": {
                mount: {"size_kb": size, "used_kb": used}
                for mount, (size, used) in figures.disks.items()
            },
        },
    }


def table_line(health: HostHealth) -> str:
    failing = [
        f"{c.name}: {c.state.name} {c.output}" for c in health.checks if c.state.name != "OK"
    ]
    ok = sum(1 for c in health.checks if c.state.name == "OK")
    detail = "; ".join([health.message, *failing] if health.message else failing)
    if not detail and health.checks:
        detail = f"{ok}/{len(health.checks)} checks OK"
        if health.figures.uptime is not None:
            detail += f", up {format_duration(health.figures.uptime)}"
    return f"{health.device:<10} {health.verdict.label:<16} {detail}"


def run(args: argparse.Namespace) -> int:
    import asyncio

    from lautre_tui.services.poller import Poller

    path = find_layout(args.layout)
    result = load_layout(path)
    print_errors(result)
    if result.layout is None:
        return 3
    layout = result.layout
    unknown = [name for name in args.hosts or [] if name not in layout.devices]
    if unknown:
        print(f"lautre-tui status: unknown host(s): {', '.join(unknown)}", file=sys.stderr)
        return 3
    from lautre_tui.services.source import icinga_settings

    try:
        icinga = icinga_settings(layout, args.status_source)
    except ValueError as error:
        print(f"lautre-tui status: {error}", file=sys.stderr)
        return 3
    if icinga is not None:
        return from_icinga(args, layout, icinga)
    from lautre_tui.services.power import PowerService

    power = PowerService(layout, read_only=True)  # reads the strips' cards, switches nothing
    reader = power.read_strip if layout.pdus else None
    # one round: no soft states
    poller = Poller(layout, hosts=args.hosts, soft_fails=1, strip_reader=reader)

    async def one_round() -> None:
        try:
            await poller.run_round()
        finally:
            await poller.stop()
            await power.close()

    try:
        asyncio.run(one_round())
    except Exception as error:
        print(f"lautre-tui status: UNKNOWN: the check itself failed: {error!r}", file=sys.stderr)
        return 3
    for problem in poller.connector.problems:
        print(f"lautre-tui status: {problem}", file=sys.stderr)
    names = args.hosts or list(layout.devices)  # every device, the unmonitored included
    hosts = [poller.health(name) for name in names]
    return report(args, layout, hosts, handled_hosts(layout, hosts))


def from_icinga(args: argparse.Namespace, layout: Layout, icinga: Icinga2Source) -> int:
    """What Icinga 2 says now, read once (no check is run here)."""
    from lautre_tui.backends.icinga_api import IcingaError
    from lautre_tui.cli.states import read_icinga

    try:
        source = read_icinga(layout, icinga)
    except IcingaError as error:
        print(f"lautre-tui status: UNKNOWN: {error}", file=sys.stderr)
        return 3
    hosts = [source.health(name) for name in args.hosts or list(layout.devices)]
    wanted = {h.device for h in hosts}
    return report(
        args, layout, hosts, {d: how for d, how in source.handled().items() if d in wanted}
    )


def report(
    args: argparse.Namespace, layout: Layout, hosts: list[HostHealth], handled: dict[str, str]
) -> int:
    """The table or JSON, and the exit code of the problems not handled."""
    import time

    from lautre_tui.model.health import SEVERITY, worst_exit

    if args.sort == "state":  # worst first; the layout's order among equals
        hosts = sorted(hosts, key=lambda h: -SEVERITY[h.exit_code])
    if args.json:
        now = time.time()
        print(json.dumps([with_handled(as_json(layout, h, now), handled) for h in hosts], indent=2))
    else:
        print(f"{'DEVICE':<10} {'STATE':<16} DETAIL")
        for health in hosts:
            note = f" [{handled[health.device]}]" if health.device in handled else ""
            print(table_line(health) + note)
    counted = [h for h in hosts if args.include_handled or h.device not in handled]
    return worst_exit(counted)


def handled_hosts(layout: Layout, hosts: list[HostHealth]) -> dict[str, str]:
    """Device → "maintenance"/"acknowledged" (the shared state; said if unusable)."""
    from lautre_tui.services.maintenance import handled_now

    handled, trouble = handled_now(layout, {h.device: h for h in hosts})
    if trouble:
        print(f"lautre-tui status: every problem counted: {trouble}", file=sys.stderr)
    return handled


def with_handled(entry: dict[str, Any], handled: dict[str, str]) -> dict[str, Any]:
    how = handled.get(entry["device"])
    return {**entry, "in_maintenance": how == "maintenance", "acknowledged": how == "acknowledged"}
