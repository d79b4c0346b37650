"""The rack seen from the front, unit by unit, one block per device."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from lautre_tui.model.layout import Device, Layout, Rack
from lautre_tui.ui.badges import Badge, lifecycle_badge
from lautre_tui.ui.rack_rows import RackRow, plan_rows, segments

LEGEND_WIDTH = 3
STATE_STYLES = (
    "unpolled",
    "standby",
    "staging",
    "ok",
    "warning",
    "critical",
    "down",
    "stale",
    "off",
    "soft",
)


class RackView(Widget, can_focus=True):
    """One rack at a time; arrows or j/k move the selection, which is posted as
    `Selected`. With several racks, the switcher line chooses which one it shows (`show_rack`): one
    view for any number of racks, so 25 racks cost no more to start than one."""

    DEFAULT_CSS = """
    /* The focused region is framed by its shape, not only its colour (NO_COLOR). */
    RackView { width: 40; height: 1fr; border-right: blank; }
    RackView:focus { border-right: heavy $accent; }
    RackView > .rack--legend { color: $text-muted; }
    RackView > .rack--empty { color: $text-disabled; }
    RackView > .rack--gap { color: $warning-darken-1; }
    RackView > .rack--selected { text-style: reverse bold; }
    RackView > .rack--filtered-out { color: $text-disabled; text-style: dim; }
    RackView > .rack--state-unpolled { color: $text; }
    RackView > .rack--state-standby { color: $secondary; }
    RackView > .rack--state-staging { color: $text-muted; }
    RackView > .rack--state-ok { color: $success; }
    RackView > .rack--state-warning { color: $warning; }
    RackView > .rack--state-critical { color: $error; text-style: bold; }
    RackView > .rack--state-down { color: $error; }
    RackView > .rack--state-stale { color: $warning-darken-2; }
    RackView > .rack--state-off { color: $text-muted; }
    RackView > .rack--state-soft { color: $warning; text-style: italic; }
    """

    COMPONENT_CLASSES = {
        "rack--legend",
        "rack--empty",
        "rack--gap",
        "rack--selected",
        "rack--filtered-out",
        *(f"rack--state-{name}" for name in STATE_STYLES),
    }

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="rack.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="rack.down"),
        Binding("home", "edge(0)", "Top", show=False, id="rack.top"),
        Binding("end", "edge(-1)", "Bottom", show=False, id="rack.bottom"),
    ]

    selected: reactive[str | None] = reactive(None)
    """Name of the selected device; None only for a rack with no device."""

    class Selected(Message):
        """The selection moved to `device` (in rack `rack`)."""

        def __init__(self, rack: str, device: str) -> None:
            self.rack = rack
            self.device = device
            super().__init__()

    class Activated(Message):
        """Enter on a device: the admin wants its pane."""

        def __init__(self, device: str) -> None:
            self.device = device
            super().__init__()

    def __init__(self, layout: Layout, rack: Rack, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.site_layout = layout
        # Every rack's devices: the states of the racks not shown are kept for their turn.
        self._badges: dict[str, Badge] = {
            name: lifecycle_badge(device) for name, device in layout.devices.items()
        }
        self._marks: dict[str, str] = {}  # maintenance ⚒ / acknowledged ✓, beside the state
        self._matches: set[str] | None = None
        self._chosen: dict[str, str] = {}  # per rack, the device selected when it was left
        self._row_owner: list[str | None] = []
        self._load(rack)
        if self.devices:
            self.set_reactive(RackView.selected, self.devices[0].name)

    def _load(self, rack: Rack) -> None:
        self.rack = rack
        self.devices: list[Device] = self.site_layout.devices_in(rack.name)
        self._here = {device.name for device in self.devices}
        self._segments = segments(rack.height, [(d.name, d.u, d.height) for d in self.devices])
        self._top = 0  # the first row shown when the rack is taller than the view

    def show_rack(self, rack: Rack) -> None:
        """Show `rack` instead, with the device selected when it was last shown."""
        if rack.name == self.rack.name:
            return
        if self.selected is not None:
            self._chosen[self.rack.name] = self.selected
        self._load(rack)
        visible = self._navigable() or [device.name for device in self.devices]
        chosen = self._chosen.get(rack.name)
        self.selected = chosen if chosen in visible else (visible[0] if visible else None)
        self.refresh()

    # -- state from outside ----------------------------------------------------

    def set_badges(self, badges: Mapping[str, Badge]) -> None:
        """New live states for some devices (others are kept); drawn again only when
        one of the rack shown changed."""
        shown = False
        for name, badge in badges.items():
            if name in self._badges and self._badges[name] != badge:
                self._badges[name] = badge
                shown = shown or name in self._here
        if shown:
            self.refresh()

    def set_marks(self, marks: Mapping[str, str]) -> None:
        """Marks shown right after the state glyph (maintenance, acknowledged)."""
        known = {name: mark for name, mark in marks.items() if name in self._badges}
        shown = any(known.get(name) != self._marks.get(name) for name in self._here)
        self._marks = known
        if shown:
            self.refresh()

    def badge(self, name: str) -> Badge:
        return self._badges[name]

    def set_filter(self, matches: set[str] | None) -> None:
        """Dim every device not in `matches` (None: no filter) and select a match."""
        self._matches = matches
        visible = self._navigable()
        if visible and self.selected not in visible:
            self.selected = visible[0]
        self.refresh()

    def select(self, name: str) -> None:
        """Select `name` if it is on the rack shown."""
        if name in self._here:
            self.selected = name

    # -- navigation ------------------------------------------------------------

    def _navigable(self) -> list[str]:
        names = [device.name for device in self.devices]
        if self._matches is None:
            return names
        return [name for name in names if name in self._matches]

    def action_move(self, step: int) -> None:
        names = self._navigable()
        if not names:
            return
        if self.selected not in names:
            self.selected = names[0]
            return
        index = names.index(self.selected) + step
        self.selected = names[max(0, min(len(names) - 1, index))]

    def action_edge(self, index: int) -> None:
        names = self._navigable()
        if names:
            self.selected = names[index]

    def watch_selected(self, selected: str | None) -> None:
        if selected is not None:
            self.post_message(self.Selected(self.rack.name, selected))
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if 0 <= event.y < len(self._row_owner):
            owner = self._row_owner[event.y]
            if owner is not None:
                self.selected = owner
                self.focus()
                if event.chain == 2:
                    self.post_message(self.Activated(owner))

    def key_enter(self) -> None:
        if self.selected is not None:
            self.post_message(self.Activated(self.selected))

    # -- drawing ---------------------------------------------------------------

    def render(self) -> Text:
        width = max(10, self.size.width)
        planned = plan_rows(self._segments, max(1, self.size.height))
        lines: list[Text] = []
        owners: list[str | None] = []
        for row in planned:
            for index in range(row.rows):
                lines.append(self._line(row, index, width))
                owners.append(row.segment.device)
        lines, owners = self._window(lines, owners, max(1, self.size.height))
        self._row_owner = owners
        return Text("\n").join(lines)

    def _window(
        self, lines: list[Text], owners: list[str | None], height: int
    ) -> tuple[list[Text], list[str | None]]:
        """More devices than rows (a small terminal, a full rack): the rows around
        the selection, scrolled as it moves, with what is above and below counted."""
        if len(lines) <= height or height < 3:
            self._top = 0
            return lines, owners
        selected = owners.index(self.selected) if self.selected in owners else 0
        top = self._top
        if selected <= top:
            top = selected - 1
        elif selected >= top + height - 1:
            top = selected - height + 2
        top = max(0, min(top, len(lines) - height))
        self._top = top
        shown, shown_owners = lines[top : top + height], owners[top : top + height]
        style = self._style("rack--legend")
        if top > 0:
            shown[0], shown_owners[0] = Text(f"  ↑ {top} more rows", style=style), None
        below = len(lines) - top - height
        if below > 0:
            shown[-1], shown_owners[-1] = Text(f"  ↓ {below} more rows", style=style), None
        return shown, shown_owners

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _legend(self, row: RackRow, index: int) -> Text:
        segment = row.segment
        if row.rows == segment.units:
            label = str(segment.top - index)
        elif index == 0:
            label = str(segment.top)
        else:
            label = ""
        legend = Text(label.rjust(LEGEND_WIDTH - 1), style=self._style("rack--legend"))
        last = index == row.rows - 1
        if (row.gap_above and index == 0) or (row.gap_below and last):
            legend.append("╌", style=self._style("rack--gap"))
        else:
            legend.append(" ")
        return legend

    def _line(self, row: RackRow, index: int, width: int) -> Text:
        line = self._legend(row, index)
        body_width = width - LEGEND_WIDTH
        name = row.segment.device
        if name is None:
            units = row.segment.units
            if row.rows == units:
                body = "· free"
            elif index == 0:
                body = f"⋮ {units} U free"
            else:
                body = "⋮"
            line.append(body.ljust(body_width)[:body_width], style=self._style("rack--empty"))
            return line
        device = self.site_layout.devices[name]
        badge = self._badges[name]
        if index == 0:
            text = f"▌{badge.glyph}{self._marks.get(name, ' ')}{name:<9} {device.role}"
        elif index == 1 and row.rows > 1:
            text = f"▌  {badge.word}" + (" · maintenance" if name in self._marks else "")
        else:
            text = "▌"
        style = self._style(f"rack--state-{badge.style}")
        if self._matches is not None and name not in self._matches:
            style = self._style("rack--filtered-out")
        if name == self.selected:
            style = style + self._style("rack--selected")
        line.append(_fit(text, body_width), style=style)
        return line


def _fit(text: str, width: int) -> str:
    """Pad or cut to exactly `width` cells, marking a cut with an ellipsis."""
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"
