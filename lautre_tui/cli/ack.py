"""`lautre-tui ack HOST [--check NAME] --comment TEXT`: acknowledge a problem.

After one fresh round of HOST (or a read of Icinga's states, when Icinga 2 is
the status source): its problems (or only NAME's) stay visible,
marked acknowledged with who and the comment, and leave the alert counts and
`status`'s exit code until the check is OK again (a plain acknowledgement also
ends when the state changes; `--sticky` only at OK) or `--expire` passes. With
Icinga 2 as the status source it is an Icinga acknowledgement too; when Icinga
does not take it, it stands here, stderr says why and the exit code is 2.
"""

from __future__ import annotations

import argparse

from lautre_tui.cli.common import add_layout_option
from lautre_tui.cli.maint import fail, icinga_said, load, service_for
from lautre_tui.cli.states import states_now
from lautre_tui.cli.tui import add_status_source_option


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ack",
        help="acknowledge a host's problem (shared by the admins of the bastion)",
        description="Acknowledge HOST's current problems, or only one check's, after one "
        "fresh round. Exit 1 when there is nothing to acknowledge or the shared state "
        "cannot be used; 2 when Icinga 2 (the status source) did not take it.",
    )
    parser.add_argument("host", metavar="HOST")
    parser.add_argument("--check", metavar="NAME", help="only this check (as in the layout)")
    parser.add_argument("--comment", required=True, help="what is being done about it")
    parser.add_argument(
        "--sticky", action="store_true", help="hold through WARNING/CRITICAL changes until OK"
    )
    parser.add_argument("--expire", metavar="DURATION", help="end it after this long (2h)")
    add_layout_option(parser)
    add_status_source_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lautre_tui.model.maintenance import parse_until
    from lautre_tui.services.audited import MaintenanceError
    from lautre_tui.services.state_db import StateUnavailable

    layout = load(args)
    if layout is None:
        return 1
    if args.host not in layout.devices:
        return fail(f"unknown device: {args.host}")
    try:
        service = service_for(layout, args)
        service.db.connection()
        expires = parse_until(args.expire, service.clock()) if args.expire else None
        health = states_now(layout, [args.host], args.status_source, "ack")
        if args.host not in health:
            return fail(f"{args.host} is not polled: nothing to acknowledge")
        acks = service.acknowledge(
            health[args.host],
            args.comment,
            check=args.check,
            sticky=args.sticky,
            expires=expires,
        )
    except (MaintenanceError, StateUnavailable, ValueError) as error:
        return fail(str(error))
    for ack in acks:
        print(f"{ack.device:<10} {ack.state} {ack.describe()}")
    return icinga_said(service, 0)
