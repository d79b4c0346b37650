"""`lautre-tui console HOST`: the emergency path, straight to a serial console.

Reads only what it needs from the layout (a broken entry elsewhere does not stop
it; `--url` needs no layout at all), starts no poller, resolves nothing but the
console server, and imports neither the status nor the power code.
"""

from __future__ import annotations

import argparse
import sys

from lautre_tui.cli.common import add_layout_option
from lautre_tui.locations import find_layout
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "console",
        help="open a host's serial console full screen, through the console server",
        description="Open HOST's serial console through the console server (RFC 2217, raw "
        "TCP, telnet or a local /dev/tty*), full screen. Ctrl-] opens the menu (. detach, "
        "b BREAK, s SysRq, B baud, l transcript, r reconnect, z stty size). Everything "
        "received is kept in $XDG_STATE_HOME/lautre-tui/consoles/HOST.log.",
    )
    parser.add_argument("host", metavar="HOST", help="the device, as named in the layout")
    add_layout_option(parser)
    parser.add_argument(
        "--url", help="console URL (rfc2217://, socket://, /dev/tty*): no layout needed"
    )
    parser.add_argument("--baud", type=int, help="baud rate (default: the layout's, or 9600)")
    parser.add_argument(
        "--spy",
        "--read-only",
        dest="spy",
        action="store_true",
        help="watch the console live without sending a byte (the holder's stream; "
        "if nobody holds it, this session holds the port, only watching, until a "
        "writer comes)",
    )
    parser.add_argument(
        "--force",
        "--break-lock",
        dest="force",
        action="store_true",
        help="take the console from the admin who holds it: their session closes the "
        "port and watches yours, and is told who took it (audited); a hung session's "
        "claim is broken",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lautre_tui.services.console import ConsoleLinkError, target_for

    layout = Layout(site="", source="--url")
    if args.url is None:
        path = find_layout(args.layout)
        result = load_layout(path, check=False)  # other entries' errors do not matter here
        if result.layout is None:
            for error in result.errors:
                print(error, file=sys.stderr)
            return 1
        layout = result.layout
    try:
        target = target_for(layout, args.host, url=args.url, baud=args.baud)
    except ConsoleLinkError as error:
        print(f"lautre-tui console: {error}", file=sys.stderr)
        return 1
    from lautre_tui.services.console import holder, open_in_background

    opening = None
    if not args.spy and holder(target.host) is None:  # a spy, or a held port, waits
        opening = open_in_background(target.url, target.baud)  # negotiates while Textual loads
    from lautre_tui.ui.console_app import ConsoleApp

    app = ConsoleApp(target, read_only=args.spy, opening=opening, force=args.force)
    app.run()
    if app.error:
        print(f"lautre-tui console: {app.error}", file=sys.stderr)
        return 1
    return app.return_code or 0
