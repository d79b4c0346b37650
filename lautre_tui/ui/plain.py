"""Text from a layout, a host, a card or a file is shown as text; signals end the
app cleanly.

Textual parses markup in notifications and labels, and Rich parses it in table
cells: a device's check output of `[/b]` would raise and take the app down, and
an escape sequence would reach the admin's terminal. Everything that did not come
from our own code goes through `plain` (a Rich `Text`, never parsed) or through
the apps' `notify`, which never parses markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TypeVar

from rich.text import Text
from textual.app import App
from textual.driver import Driver
from textual.notifications import SeverityLevel

from lautre_tui.model.names import printable

ReturnType = TypeVar("ReturnType")


def plain(text: str, style: str = "") -> Text:
    """`text` as it is, control characters made visible, never parsed as markup."""
    return Text(printable(text), style=style)


class SafeApp(App[ReturnType]):
    """An App as admins run it on a bastion: notifications are always plain text,
    and SIGTERM, SIGHUP (the SSH session dropped) and SIGINT end it the way `q`
    does, so that consoles are detached, audited and unlocked, and the terminal
    leaves the alternate screen."""

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        self.exit(return_code=128 + signum)

    def get_driver_class(self) -> type[Driver]:
        """On a terminal, mouse reports for clicks and the wheel only (not every motion)."""
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if driver is LinuxDriver:
            from lautre_tui.ui.clicks_driver import ClicksOnlyDriver

            return ClicksOnlyDriver
        return driver

    def on_mount(self) -> None:  # Textual calls it besides the subclass's own
        self._install_signal_handlers()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )
