"""The states a command starts from: one round polled here over SSH, or, with
Icinga 2 as the status source, what Icinga says now (no check is run here), so
that a window's snapshot and an acknowledgement see what Icinga Web shows."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from lautre_tui.model.layout import Layout

if TYPE_CHECKING:
    from lautre_tui.model.health import HostHealth
    from lautre_tui.model.status_source import Icinga2Source
    from lautre_tui.services.icinga_source import IcingaSource


def poll_once(layout: Layout, names: Iterable[str]) -> dict[str, HostHealth]:
    """One round of the named devices that are polled (servers)."""
    from lautre_tui.services.poller import Poller, polled_devices

    hosts = polled_devices(layout, names)
    if not hosts:
        return {}
    poller = Poller(layout, hosts=hosts, soft_fails=1)
    _once(poller.run_round, poller.stop)
    return {name: poller.health(name) for name in hosts}


def read_icinga(layout: Layout, icinga: Icinga2Source) -> IcingaSource:
    """Icinga 2's states, read once; IcingaError when it does not answer."""
    from lautre_tui.services.icinga_source import IcingaSource

    source = IcingaSource(layout, icinga)
    _once(source.sync_once, source.stop)
    return source


def _once(work: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[None]]) -> None:
    """`work` in an event loop of its own, and `stop` whatever happened."""

    async def run() -> None:
        try:
            await work()
        finally:
            await stop()

    asyncio.run(run())


def states_now(
    layout: Layout, names: Iterable[str], status_source: str | None, command: str
) -> dict[str, HostHealth]:
    """Icinga's states of the named polled devices when it is the source, else one
    round here. An Icinga that does not answer is said on stderr, and the devices
    are polled here instead: the window or acknowledgement must not wait on it."""
    from lautre_tui.backends.icinga_api import IcingaError
    from lautre_tui.services.poller import polled_devices
    from lautre_tui.services.source import icinga_settings

    icinga = icinga_settings(layout, status_source)
    if icinga is not None:
        hosts = polled_devices(layout, names)
        try:
            source = read_icinga(layout, icinga)
        except IcingaError as error:
            print(f"lautre-tui {command}: {error}: polled here instead", file=sys.stderr)
        else:
            return {name: source.health(name) for name in hosts}
    return poll_once(layout, names)
