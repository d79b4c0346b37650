"""`lautre-tui power HOST status|on|off|cycle`: the strip from the shell, safely."""

from __future__ import annotations

import argparse
import sys

from lautre_tui.cli.common import add_layout_option, print_errors
from lautre_tui.locations import find_layout
from lautre_tui.model.impact import PowerAction
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from lautre_tui.model.wiring import Pdu

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "power",
        help="read or switch a device's outlets on the APC strip",
        description="Read (status) or switch (on, off, cycle) the outlets that feed HOST. "
        "Before switching, prints what goes dark. On a terminal, asks you to type `yes` (the "
        "device's name for a protected device); without a terminal, refuses unless --yes. "
        "Every attempt is audited. Exit 0 on a verified result, 1 on an error or a read-back "
        "mismatch, 2 when refused (not confirmed, --read-only).",
    )
    parser.add_argument("host", metavar="HOST", help="the device, as named in the layout")
    parser.add_argument("action", choices=["status", "on", "off", "cycle"])
    add_layout_option(parser)
    parser.add_argument(
        "--yes",
        action="store_true",
        help="confirm without asking (for scripts; the impact is still printed)",
    )
    parser.add_argument(
        "--confirm-name",
        metavar="NAME",
        help="with --yes, for a protected device (router, admin switch, console server, "
        "strip): its name, as a script's explicit second confirmation",
    )
    parser.add_argument(
        "--outlet",
        type=int,
        metavar="N",
        help="only this outlet of the device (default: all its outlets)",
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every power action")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    path = find_layout(args.layout)
    result = load_layout(path)
    layout = result.layout
    if layout is None or result.errors:  # a half-read layout could name the wrong outlet
        print_errors(result)
        return _refuse_early(
            args, f"{path} has errors: fix them first (lautre-tui validate {path})"
        )
    if args.host not in layout.devices:
        known = ", ".join(layout.devices)
        return _refuse_early(args, f"unknown device {args.host!r} (known: {known})")
    device = layout.devices[args.host]
    if not device.power:
        return _refuse_early(args, f"{args.host} has no outlet in the layout")
    if args.outlet is not None and all(link.outlet != args.outlet for link in device.power):
        outlets = ", ".join(str(link.outlet) for link in device.power)
        return _refuse_early(
            args, f"{args.host} is not fed by outlet {args.outlet} (its outlets: {outlets})"
        )
    return asyncio.run(_power(layout, args))


def _refuse_early(args: argparse.Namespace, reason: str) -> int:
    """Say why, and audit the attempt (even for a device the layout does not know)."""
    from lautre_tui.services.audit import AuditLog, AuditUnwritable

    print(f"lautre-tui power: {reason}", file=sys.stderr)
    if args.action != "status":
        try:
            AuditLog().record(args.action, args.host, f"error: {reason}", outlet=args.outlet)
        except AuditUnwritable as error:
            print(f"lautre-tui power: {error}", file=sys.stderr)
    return EXIT_ERROR


async def _power(layout: Layout, args: argparse.Namespace) -> int:
    from lautre_tui.backends.pdu import PduError
    from lautre_tui.services.power import PowerRefused, PowerService, password_file_warning

    service = PowerService(layout, read_only=args.read_only, password=_password_once)
    service.on_wait(lambda text: print(f"lautre-tui power: {text}", file=sys.stderr))
    for strip in {link.pdu for link in layout.devices[args.host].power}:
        warning = password_file_warning(layout.pdus[strip])
        if warning:
            print(f"lautre-tui power: warning: {warning}", file=sys.stderr)
    action = PowerAction(args.action)
    try:
        if action is not PowerAction.STATUS and args.read_only:
            service.decline(args.host, action, "refused: read-only mode", outlet=args.outlet)
            print(
                "lautre-tui power: refused: --read-only mode refuses every power action",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        try:
            outlets = await service.device_outlets(args.host)
        except PduError as error:
            print(f"lautre-tui power: {error}", file=sys.stderr)
            if action is not PowerAction.STATUS:
                service.decline(
                    args.host, action, f"error: cannot read the strip: {error}", outlet=args.outlet
                )
            return EXIT_ERROR
        for (pdu, number), on in outlets.items():
            if args.outlet is None or number == args.outlet:
                print(f"{args.host}: {pdu} outlet {number}: {'On' if on else 'Off'}")
        if action is PowerAction.STATUS:
            return EXIT_OK
        impact = service.impact(args.host, action, outlet=args.outlet)
        print("\n".join(impact.lines()))
        protected = bool(impact.protected)
        confirmation = _scripted(args, protected) if args.yes else _ask(args.host, protected)
        if confirmation is None:
            service.decline(args.host, action, "refused: not confirmed", outlet=args.outlet)
            return EXIT_REFUSED
        try:
            done = await service.act(
                args.host, action, confirmation=confirmation, outlet=args.outlet
            )
        except PowerRefused as refused:
            print(f"lautre-tui power: refused: {refused}", file=sys.stderr)
            return EXIT_REFUSED
        print(
            done.message if done.ok else f"lautre-tui power: FAILED: {done.message}",
            file=sys.stdout if done.ok else sys.stderr,
        )
        return EXIT_OK if done.ok else EXIT_ERROR
    finally:
        await service.close()


_asked: dict[str, str | None] = {}


def _password_once(pdu: Pdu) -> str | None:
    """The strip's password: its password_file, else asked once on the terminal."""
    from lautre_tui.services.power import read_password_file

    secret = read_password_file(pdu)
    if secret is not None or not sys.stdin.isatty():
        return secret
    if pdu.name not in _asked:
        import getpass

        _asked[pdu.name] = getpass.getpass(f"password of {pdu.user}@{pdu.host} ({pdu.name}): ")
    return _asked[pdu.name] or None


def _scripted(args: argparse.Namespace, protected: bool) -> str | None:
    """--yes confirms; a protected device also needs --confirm-name with its name."""
    if not protected:
        return "--yes"
    if args.confirm_name == args.host:
        return f"--yes --confirm-name {args.host}"
    print(
        f"lautre-tui power: refused: {args.host} is protected: add --confirm-name {args.host} "
        "to --yes to switch it from a script",
        file=sys.stderr,
    )
    return None


def _ask(device: str, protected: bool) -> str | None:
    """The typed confirmation, or None (no terminal, or a wrong answer)."""
    if not sys.stdin.isatty():
        print(
            "lautre-tui power: refused: no terminal to confirm on; use --yes in scripts",
            file=sys.stderr,
        )
        return None
    expected = device if protected else "yes"
    answer = input(f"Type {expected!r} to go ahead, anything else cancels: ").strip()
    if answer != expected:
        print("lautre-tui power: not confirmed, nothing done", file=sys.stderr)
        return None
    return f"typed {expected!r}"
