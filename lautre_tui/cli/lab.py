"""`lautre-tui lab --dir DIR`: the simulated lab alone, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "lab",
        help="run the simulated lab (L'Autre Net on 127.0.0.1) for tests, demos and benchmarks",
        description="Start L'Autre Net's simulated rack on 127.0.0.1 (SSH hosts, RFC 2217 "
        "console server, APC strip) and write DIR/layout.yaml, DIR/known_hosts, "
        "DIR/id_ed25519(.pub) and DIR/apc.secret. Prints `lab ready: DIR/layout.yaml` once "
        "every server listens; runs until SIGINT or SIGTERM, then exits 0. Faults and "
        "outlets can be steered through DIR/control.sock (see lautre_tui/lab/control.py).",
    )
    parser.add_argument(
        "--dir",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder for the lab's layout, keys and control socket",
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=0,
        metavar="N",
        help="add N generated servers in extra racks (scale tests)",
    )
    parser.add_argument(
        "--reach-only",
        type=int,
        default=0,
        metavar="N",
        help="add N generated devices without a shell, checked by TCP (scale tests)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="make the simulated drift and service blips reproducible",
    )
    parser.add_argument(
        "--boot-seconds",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how long a device takes to boot after power on (default 3)",
    )
    parser.add_argument(
        "--until-stdin-closes",
        action="store_true",
        help="also stop when standard input closes (so the lab dies with "
        "the program that started it)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.hosts < 0 or args.reach_only < 0:
        print("lautre-tui lab: --hosts and --reach-only must be 0 or more", file=sys.stderr)
        return 2
    import asyncio

    from lautre_tui.lab.serve import serve_lab

    try:
        asyncio.run(
            serve_lab(
                args.dir,
                hosts=args.hosts,
                reach_only=args.reach_only,
                seed=args.seed,
                boot_seconds=args.boot_seconds,
                until_stdin_closes=args.until_stdin_closes,
            )
        )
    except OSError as error:
        print(f"lautre-tui lab: {error}", file=sys.stderr)
        return 1
    return 0
