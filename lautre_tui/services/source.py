"""What the app and `status` need of a status source: the embedded `Poller` or
the `IcingaSource`; both satisfy this protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lautre_tui.model.health import HealthTracker, HostHealth, RoundInfo, StatusUpdate
from lautre_tui.model.layout import Layout
from lautre_tui.model.status_source import Icinga2Source

Subscriber = Callable[[StatusUpdate], None]


class StatusSource(Protocol):
    tracker: HealthTracker
    last_round: RoundInfo | None
    trouble: str | None

    @property
    def devices(self) -> list[str]: ...

    def health(self, name: str) -> HostHealth: ...

    def subscribe(self, subscriber: Subscriber) -> None: ...

    def start(self) -> None: ...

    def poll_now(self, name: str | None = None) -> None: ...

    def watch_boot(self, name: str) -> None: ...

    def set_outlets(self, pdu: str, states: dict[int, bool]) -> None: ...

    def setup_note(self) -> str: ...

    async def stop(self) -> None: ...


def icinga_settings(layout: Layout, choice: str | None) -> Icinga2Source | None:
    """The Icinga 2 API to read from, if the layout or `--status-source` says so;
    raises ValueError when `--status-source icinga2` has no settings to use."""
    if choice == "poller":
        return None
    if choice == "icinga2" and layout.status_source is None:
        raise ValueError("--status-source icinga2: the layout has no status_source: icinga2 key")
    return layout.status_source
