"""What any switched-strip driver offers, so that other cards (SNMP…) can follow.

The layout's `driver:` picks the implementation; the power service only uses
this interface.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from lautre_tui.model.wiring import Pdu


@dataclass(frozen=True, slots=True)
class OutletState:
    number: int
    name: str
    on: bool


@dataclass(frozen=True, slots=True)
class Load:
    """The strip's load, when its card says: amps over all phases, watts."""

    amps: float | None
    watts: float | None


class PduError(Exception):
    """The strip could not do what was asked; `str()` says why, for the admin."""


class PduCommandError(PduError):
    """The card answered with an error code (E1xx)."""

    def __init__(self, code: str, text: str) -> None:
        self.code = code
        self.text = text
        super().__init__(f"{code}: {text}")


class PduDriver(Protocol):
    pdu: Pdu

    async def status(self, outlets: list[int] | None = None) -> dict[int, OutletState]: ...

    async def switch(self, outlets: list[int], on: bool) -> None: ...

    async def reboot(self, outlets: list[int]) -> None: ...

    async def load(self) -> Load: ...

    def burst(self, doing: str) -> AbstractAsyncContextManager[None]:
        """The card to ourselves for a few commands (one action, one reading)."""
        ...

    @property
    def waited(self) -> float:
        """Seconds the last burst waited for another process of the bastion."""
        ...

    async def close(self) -> None: ...
