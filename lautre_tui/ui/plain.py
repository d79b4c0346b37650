"""Text from a layout, a host, a card or a file is shown as text.

Textual parses markup in notifications and labels, and Rich parses it in table
cells: a device's check output of `[/b]` would raise and take the app down, and
an escape sequence would reach the admin's terminal. Everything that did not come
from our own code goes through `plain` (a Rich `Text`, never parsed) or through
the apps' `notify`, which never parses markup.
"""

from __future__ import annotations

from typing import TypeVar

from rich.text import Text
from textual.app import App
from textual.notifications import SeverityLevel

from lautre_tui.model.names import printable

ReturnType = TypeVar("ReturnType")


def plain(text: str, style: str = "") -> Text:
    """`text` as it is, control characters made visible, never parsed as markup."""
    return Text(printable(text), style=style)


class PlainTextApp(App[ReturnType]):
    """An App whose notifications are always plain text."""

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
