"""`lautre-tui [tui]`: the full-screen app on the rack of a layout file."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lautre_tui.cli.common import add_layout_option, print_errors
from lautre_tui.locations import cache_dir, find_layout
from lautre_tui.model.errors import LayoutError
from lautre_tui.model.layout import Layout
from lautre_tui.model.layout_cache import load_layout_cached

if TYPE_CHECKING:
    from lautre_tui.ui.app import RackApp


def add_options(parser: argparse.ArgumentParser) -> None:
    add_layout_option(parser)
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between status rounds (default: the layout's poll.interval, else 10)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="look only: refuse every power action and open consoles without sending a byte",
    )
    add_status_source_option(parser)


def add_status_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status-source",
        choices=["poller", "icinga2"],
        default=None,
        help="where device states come from: the embedded poller, or the Icinga 2 API of "
        "the layout's status_source key (default: that key if present, else the poller)",
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "tui",
        help="the full-screen app (the default command)",
        description="Show the rack's front view and a pane for the selected device.",
    )
    add_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_app(
        find_layout(args.layout),
        read_only=args.read_only,
        interval=args.interval,
        status_source=args.status_source,
    )


def run_app(
    layout_path: Path,
    *,
    read_only: bool = False,
    interval: float | None = None,
    fault_injector: Callable[[str], str] | None = None,
    status_source: str | None = None,
) -> int:
    """Load the layout and run the app on it: the one place the app is built, for
    `lautre-tui`, the demo and the screenshots alike."""
    # The cyclic collector would run some 130 times over the imports and the first
    # frame (12 ms) for hardly any garbage: the app turns it on once it has painted.
    gc.disable()
    try:
        return _run_app(layout_path, read_only, interval, fault_injector, status_source)
    finally:
        gc.enable()


def _run_app(
    layout_path: Path,
    read_only: bool,
    interval: float | None,
    fault_injector: Callable[[str], str] | None,
    status_source: str | None,
) -> int:
    result = load_layout_cached(layout_path, cache_dir() / "layouts")
    print_errors(result)
    layout = result.layout
    if layout is None or not layout.devices or result.errors:
        # A half-understood layout could point a power action at the wrong outlet.
        print(
            f"lautre-tui: {layout_path} has errors: fix them first "
            f"(lautre-tui validate {layout_path})",
            file=sys.stderr,
        )
        return 1
    from lautre_tui.services.source import icinga_settings

    try:
        icinga_settings(layout, status_source)
    except ValueError as error:
        print(f"lautre-tui: {error}", file=sys.stderr)
        return 1
    app = build_app(
        layout,
        layout_path,
        result.errors,
        read_only=read_only,
        interval=interval,
        fault_injector=fault_injector,
        status_source=status_source,
    )
    app.run()
    return app.return_code or 0


def build_app(
    layout: Layout,
    layout_path: Path,
    errors: Sequence[LayoutError] = (),
    *,
    read_only: bool = False,
    interval: float | None = None,
    fault_injector: Callable[[str], str] | None = None,
    poll: bool = True,
    status_source: str | None = None,
) -> RackApp:
    """The app with its services; `poll=False` shows the layout alone (no SSH)."""
    from lautre_tui.services.site import Site
    from lautre_tui.ui.app import RackApp

    return RackApp(
        layout,
        layout_path=layout_path,
        errors=errors,
        read_only=read_only,
        fault_injector=fault_injector,
        site=Site(
            layout, read_only=read_only, interval=interval, poll=poll, status_source=status_source
        ),
    )
