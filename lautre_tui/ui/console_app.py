"""The app of `lautre-tui console HOST`: one console, full screen, nothing else."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from textual import work

from lautre_tui.services.console import (
    ConsoleHeld,
    ConsoleLinkError,
    ConsoleManager,
    ConsoleTarget,
)
from lautre_tui.ui.console_dialogs import HeldScreen
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.plain import SafeApp


class ConsoleApp(SafeApp[None]):
    """Detaching (Ctrl-] .) or backing out (Ctrl-] w) quits."""

    TITLE = "lautre-tui console"

    def __init__(
        self,
        target: ConsoleTarget,
        *,
        read_only: bool = False,
        opening: Future[Any] | None = None,
        force: bool = False,
    ) -> None:
        super().__init__()
        self.target = target
        self._opening = opening
        self._force = force
        self.manager = ConsoleManager(read_only=read_only)
        self.error: str | None = None

    def on_mount(self) -> None:
        self.attach()

    @work(exclusive=True)
    async def attach(self) -> None:
        try:
            try:
                session = await self.manager.open(
                    self.target, opening=self._opening, force=self._force
                )
            except ConsoleHeld as held:  # say who, and offer watch, take over or cancel
                choice = await self.push_screen_wait(HeldScreen(str(held)))
                if choice == "cancel":
                    self.error = f"{held}; cancelled"
                    self.exit()
                    return
                session = await self.manager.open(
                    self.target, read_only=choice == "watch", force=choice == "force"
                )
        except ConsoleLinkError as error:
            self.error = str(error)
            self.exit()
            return
        self.push_screen(
            ConsoleScreen(session, on_leave=lambda _host, _closed: self.exit(), rack=False)
        )

    async def on_unmount(self) -> None:
        await self.manager.close_all()
