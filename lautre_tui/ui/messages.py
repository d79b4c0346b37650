"""What the site's services tell the screens, as Textual messages.

The services call back in the app's loop; the app posts these to the rack screen,
which redraws. Messages a widget sends its parent (a rack row selected, keys typed
in a terminal) stay nested in the widget's class, as Textual's own widgets do.
"""

from __future__ import annotations

from textual.message import Message

from lautre_tui.model.health import HostHealth, StatusUpdate


class StatusUpdated(Message):
    """The poller saw devices change; `key_changes` are those whose host key has
    just changed (said loudly, once)."""

    def __init__(self, update: StatusUpdate, key_changes: list[HostHealth]) -> None:
        self.update = update
        self.key_changes = key_changes
        super().__init__()


class MaintenanceChanged(Message):
    """The shared windows or acknowledgements changed (here or in another app)."""
