"""What a strip's or a console server's pane adds: the outlets the card reported,
and which consoles this bastion has open on the server's ports."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from lautre_tui.model.layout import Layout
from lautre_tui.model.topology import outlet_map
from lautre_tui.ui.plain import plain
from lautre_tui.ui.tones import Tones

if TYPE_CHECKING:  # the rack paints before the SSH and serial stacks are imported
    from lautre_tui.model.layout import Device
    from lautre_tui.services.console import Holder
    from lautre_tui.services.power import OutletState
    from lautre_tui.services.site import Site


def strip_table(
    tones: Tones,
    layout: Layout,
    pdu: str,
    outlets: Mapping[int, OutletState],
    marked: Set[int] = frozenset(),
) -> Table:
    """Every outlet as the card reported it, with the device it feeds (the layout's
    word) beside the card's own name for it; `marked` outlets get a ▶."""
    feeds = outlet_map(layout, pdu)
    table = Table(title=f"strip {pdu}", show_edge=False, expand=True)
    table.add_column("outlet", justify="right")
    for column in ("state", "name on the card", "feeds (layout)"):
        table.add_column(column)
    for number in sorted(outlets):
        state = outlets[number]
        on = Text("On", style=tones["ok"]) if state.on else Text("Off", style=tones["critical"])
        marker = "▶ " if number in marked else "  "
        feeding = ", ".join(feeds.get(number, [])) or "—"
        # the card's outlet names are the card's text, not markup
        table.add_row(f"{marker}{number}", on, plain(state.name), plain(feeding))
    return table


def strip_section(
    tones: Tones, layout: Layout, pdu: str, outlets: Mapping[int, OutletState]
) -> list[RenderableType]:
    """A strip's pane: its outlets as last read (its load is among its checks)."""
    if not outlets:
        return [Text("\nOutlets: not read yet", style=tones["muted"])]
    return [Text(""), strip_table(tones, layout, pdu, outlets)]


def console_server_section(
    layout: Layout, server: str, holders: Mapping[str, Holder | None]
) -> list[RenderableType]:
    """The server's ports as this bastion knows them: who has which console open.
    Nothing here connects to a port (a connection may take it from an admin)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(no_wrap=True)
    table.add_column()
    for device in layout.devices.values():
        link = device.console
        if link is None or link.server != server:
            continue
        holder = holders.get(device.name)
        who = (
            Text(f"open by {holder.user} from {holder.source} since {holder.since}")
            if holder is not None
            else Text("free", style="dim")
        )
        table.add_row(f"port {link.port}", plain(device.name), who)
    return [Text("\nPorts (as this bastion knows them)", style="bold"), table]


def links_of(tones: Tones, site: Site, device: Device) -> list[RenderableType]:
    """What the pane adds under a device's facts: who is on its console, a strip's
    outlets as last read, a console server's ports as held here."""
    layout = site.layout
    extra: list[RenderableType] = []  # (the services are imported only when needed)
    if device.console is not None:
        from lautre_tui.services.console import describe, holder

        other = holder(device.name)
        on_it = describe(device.name, other) if other is not None else "nobody on it"
        extra.append(plain(f"\nConsole: {on_it}", style="" if other else "dim"))
    for pdu in layout.pdus.values():
        if pdu.device == device.name:
            power = site.power_service()
            outlets = power.last_outlets.get(pdu.name, {}) if power else {}
            extra += strip_section(tones, layout, pdu.name, outlets)
    for server in layout.consoles.values():
        if server.device == device.name:
            from lautre_tui.services.console import holder

            holders = {
                d.name: holder(d.name)
                for d in layout.devices.values()
                if d.console is not None and d.console.server == server.name
            }
            extra += console_server_section(layout, server.name, holders)
    return extra
