"""A strip's last reading, shared by the processes of a bastion.

Every admin's app polls the strips; the card takes one CLI session at a time. So
the process that reads a card writes what it read (outlets with the card's names
for them, the load, when, by whom) beside the strip's claim, and the others use
it while it is younger than the strip's poll interval: one card poll per interval
per bastion, not per admin. Actions and `r` always read the card itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from lautre_tui import locations
from lautre_tui.backends.pdu import Load, OutletState

FILE_MODE = 0o660


class SharedReadings:
    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else locations.state_dir() / "strips"

    def _path(self, pdu: str) -> Path:
        return self.folder / f"{pdu}.reading.json"

    def load(self, pdu: str, max_age: float) -> tuple[dict[int, OutletState], Load] | None:
        """The shared reading if it is younger than `max_age` seconds, else None."""
        try:
            data = json.loads(self._path(pdu).read_text(encoding="utf-8"))
            if not 0 <= time.time() - float(data["at"]) < max_age:
                return None
            outlets = {
                int(n): OutletState(int(n), str(name), bool(on))
                for n, (name, on) in data["outlets"].items()
            }
            amps, watts = data["amps"], data["watts"]
            return outlets, Load(
                float(amps) if amps is not None else None,
                float(watts) if watts is not None else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # none, unreadable or half-written: read the card

    def store(self, pdu: str, outlets: dict[int, OutletState], load: Load, by: str) -> None:
        """Written whole or not at all (a temporary file renamed over the old one)."""
        data = {
            "at": time.time(),
            "by": by,
            "outlets": {str(n): [s.name, s.on] for n, s in outlets.items()},
            "amps": load.amps,
            "watts": load.watts,
        }
        with contextlib.suppress(OSError):  # sharing is an optimisation, never a failure
            locations.private_dir(self.folder)
            fresh = self.folder / f".{pdu}.reading.{os.getpid()}"
            fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(fresh, self._path(pdu))
