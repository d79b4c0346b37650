"""Which rack the rack's view shows, on one line: `[ baie-2 2/25 ]`.

A strip of tabs was cut to a few letters of one or two names at 80 columns, and cost
a widget per rack to start (25 racks: 30 ms); this line says the name and where it
is among the racks, whatever their number. `[` and `]` (or a click on either half)
show the previous or the next.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static


class RackSwitcher(Static):
    DEFAULT_CSS = """
    RackSwitcher { height: 1; background: $boost; text-style: bold; text-wrap: nowrap;
                   text-overflow: ellipsis; }
    """

    class Step(Message):
        """The admin clicked towards the previous (-1) or the next (1) rack."""

        def __init__(self, step: int) -> None:
            self.step = step
            super().__init__()

    def show(self, name: str, index: int, count: int) -> None:
        self.update(Content(f"[ {name} {index + 1}/{count} ]"))  # a name is text, not markup

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Step(-1 if event.x < self.size.width // 2 else 1))
