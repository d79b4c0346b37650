"""`lautre-tui maint start|extend|end|list`: maintenance windows from the shell.

Shared with every admin of the bastion through the state database; `start`
snapshots the scope's checks after one round, `end` compares after one fresh
round (exit 0: all back as before, 1: some differ, listed); with Icinga 2 as
the status source, both read Icinga's states instead of polling. A database that
cannot be used, an unknown host or nothing to end: exit 1 with the message.
With Icinga 2 as the status source, windows are Icinga downtimes too; when
Icinga does not take one, the window still stands here, stderr says why and the
exit code is 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from lautre_tui.cli.common import add_layout_option, print_errors
from lautre_tui.cli.states import states_now
from lautre_tui.cli.tui import add_status_source_option
from lautre_tui.locations import find_layout
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from lautre_tui.model.maintenance import Window, clock, parse_until

if TYPE_CHECKING:
    from lautre_tui.services.maintenance import Maintenance

EXIT_OK, EXIT_DIFFER, EXIT_NOT_IN_ICINGA = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "maint",
        help="maintenance windows shared by the admins of the bastion",
        description="Open, extend, end and list maintenance windows. Problems of a device "
        "in maintenance stay visible but leave the alert counts and `status`'s exit code.",
    )
    actions = parser.add_subparsers(dest="maint_action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="open a window (snapshots every check first)")
    start.add_argument("hosts", nargs="+", metavar="HOST")
    _add_end_options(start)
    start.add_argument("--reason", required=True, help="why (shown to every admin)")
    start.add_argument(
        "--with-dependents",
        action="store_true",
        help="also every device that depends on HOST (fey: emma, ella, elsa)",
    )
    extend = actions.add_parser("extend", help="move the end of an open window")
    extend.add_argument("hosts", nargs="+", metavar="HOST")
    _add_end_options(extend)
    end = actions.add_parser(
        "end",
        help="end a window after one fresh round: exit 0 if all checks are back, 1 if not",
        description="Poll the window's devices once, compare every check with the snapshot "
        "taken when the window began, print the differences and end the window (with every "
        "window opened together with it, e.g. the dependents of --with-dependents). Exit 0 "
        "when all checks are back as before, 1 when some differ, 2 when Icinga 2 (the status "
        "source) did not remove its downtimes.",
    )
    end.add_argument("hosts", nargs="+", metavar="HOST")
    end.add_argument("--json", action="store_true", help="the comparison as JSON")
    end.add_argument(
        "--keep-if-different",
        action="store_true",
        help="leave the window open when some checks differ from before",
    )
    listing = actions.add_parser("list", help="every open window")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--history", action="store_true", help="the ended windows too")
    for sub in (start, extend, end, listing):
        add_layout_option(sub)
        add_status_source_option(sub)
    parser.set_defaults(handler=run)


def _add_end_options(parser: argparse.ArgumentParser) -> None:
    until = parser.add_mutually_exclusive_group(required=True)
    until.add_argument("--for", dest="duration", metavar="DURATION", help="30m, 2h…")
    until.add_argument("--until", metavar="HH:MM", help="an end time (tomorrow if past)")


def fail(message: str) -> int:
    print(f"lautre-tui: {message}", file=sys.stderr)
    return 1


def load(args: argparse.Namespace) -> Layout | None:
    result = load_layout(find_layout(args.layout))
    print_errors(result)
    return result.layout


def window_json(window: Window) -> dict[str, Any]:
    return {
        "device": window.device,
        "scope_of": window.root,
        "user": window.user,
        "source": window.source,
        "reason": window.reason,
        "started": window.started,
        "ends": window.ends,
        "until": clock(window.ends),
        "ended": window.ended,
        "end_note": window.end_note,
    }


def window_line(window: Window) -> str:
    scope = f" (with {window.root})" if window.root != window.device else ""
    return f"{window.device:<10} {window.describe()}{scope}"


def service_for(layout: Layout, args: argparse.Namespace) -> Maintenance:
    """Mirrored in Icinga 2 when it is the status source (ValueError: no settings)."""
    from lautre_tui.services.icinga_maintenance import maintenance_for
    from lautre_tui.services.source import icinga_settings

    return maintenance_for(layout, icinga_settings(layout, args.status_source))


def icinga_said(service: Maintenance, code: int) -> int:
    """What Icinga 2 did not take, on stderr; then exit 2 (the local action stands)."""
    from lautre_tui.services.icinga_maintenance import IcingaMaintenance

    said = service.take_icinga_trouble() if isinstance(service, IcingaMaintenance) else []
    for line in said:
        print(f"lautre-tui: {line} (done here all the same)", file=sys.stderr)
    return EXIT_NOT_IN_ICINGA if said else code


def run(args: argparse.Namespace) -> int:
    from lautre_tui.services.audited import MaintenanceError
    from lautre_tui.services.state_db import StateUnavailable

    layout = load(args)
    if layout is None:
        return 1
    try:
        service = service_for(layout, args)
        return icinga_said(service, int(ACTIONS[args.maint_action](service, args)))
    except (MaintenanceError, StateUnavailable, ValueError) as error:
        return fail(str(error))


def _ends(args: argparse.Namespace, now: float) -> float:
    return parse_until(args.until if args.until else args.duration, now)


def start(service: Maintenance, args: argparse.Namespace) -> int:
    ends = _ends(args, service.clock())
    scope = service.scope(args.hosts, args.with_dependents)
    service.db.connection()  # a database that cannot be used is said before polling
    health = states_now(service.layout, scope, args.status_source, "maint")
    windows = service.start(
        args.hosts, ends, args.reason, with_dependents=args.with_dependents, health=health
    )
    for window in windows:
        print(window_line(window))
    return EXIT_OK


def extend(service: Maintenance, args: argparse.Namespace) -> int:
    for window in service.extend(args.hosts, _ends(args, service.clock())):
        print(window_line(window))
    return EXIT_OK


def end(service: Maintenance, args: argparse.Namespace) -> int:
    from lautre_tui.services.audited import MaintenanceError

    chosen = service.windows_of(args.hosts)
    if not chosen:
        raise MaintenanceError(f"no open maintenance window on {', '.join(args.hosts)}")
    names = [w.device for w in chosen]
    health = states_now(service.layout, names, args.status_source, "maint")
    comparison = service.compare(chosen, health)
    kept = args.keep_if_different and not comparison.all_back
    if not kept:
        service.end(args.hosts, comparison)
    if args.json:
        print(
            json.dumps(
                {
                    "all_back": comparison.all_back,
                    "checks": comparison.checks,
                    "summary": comparison.summary(),
                    "differences": [
                        {"device": d.device, "check": d.check, "line": d.line()}
                        for d in comparison.differences
                    ],
                    "ended": not kept,
                    "devices": [w.device for w in chosen],
                },
                indent=2,
            )
        )
    else:
        for line in comparison.lines():
            print(line)
        print("window kept open" if kept else f"ended: {', '.join(w.device for w in chosen)}")
    return EXIT_OK if comparison.all_back else EXIT_DIFFER


def listing(service: Maintenance, args: argparse.Namespace) -> int:
    service.expire()
    windows = service.open_windows()
    history = service.history() if args.history else []
    if args.json:
        print(json.dumps([window_json(w) for w in [*windows, *history]], indent=2))
        return EXIT_OK
    if not windows:
        print("no open maintenance window")
    for window in windows:
        print(window_line(window))
    for window in history:
        ended = time.strftime("%Y-%m-%d %H:%M", time.localtime(window.ended or 0))
        print(f"{window.device:<10} {ended} {window.end_note}: {window.reason} ({window.user})")
    return EXIT_OK


ACTIONS = {"start": start, "extend": extend, "end": end, "list": listing}
