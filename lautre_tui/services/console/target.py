"""Which console a host has: its console server's URL, speed and protocol."""

from __future__ import annotations

from dataclasses import dataclass

from lautre_tui.backends.serial_port import ConsoleLinkError
from lautre_tui.model.breaks import BreakSequence
from lautre_tui.model.console_url import protocol_of_url, url_options_problem
from lautre_tui.model.layout import Backspace, ConsoleProtocol, Layout, Newline


@dataclass(frozen=True, slots=True)
class ConsoleTarget:
    host: str
    url: str
    baud: int
    protocol: ConsoleProtocol
    break_halts: bool = False  # a BREAK stops the machine (SPARC: OpenBoot's `ok`)
    newline: Newline = Newline.CR  # what Enter sends
    backspace: Backspace = Backspace.DEL  # what Backspace sends
    breaks: tuple[BreakSequence, ...] = ()  # the console server's named break sequences

    def typed(self, data: bytes) -> bytes:
        """What the admin typed, as this console wants it: Enter (CR) and
        Backspace (DEL) mapped per the layout."""
        if self.newline is not Newline.CR and b"\r" in data:
            data = data.replace(b"\r", self.newline.data)
        if self.backspace is not Backspace.DEL and b"\x7f" in data:
            data = data.replace(b"\x7f", self.backspace.data)
        return data

    @property
    def keys_text(self) -> str:
        """For the footer: `Enter CR · Backspace DEL`."""
        return f"Enter {self.newline.name} · Backspace {self.backspace.name}"


def target_for(
    layout: Layout, host: str, *, url: str | None = None, baud: int | None = None
) -> ConsoleTarget:
    """The console of `host` from the layout (or `url` alone, no layout needed)."""
    if url is not None:
        problem = url_options_problem(url)
        if problem is not None:
            raise ConsoleLinkError(f"{url}: {problem}")
        return ConsoleTarget(host, url, baud or 9600, protocol_of_url(url))
    device = layout.devices.get(host)
    if device is None:
        raise ConsoleLinkError(f"no device {host!r} in {layout.source}")
    if device.console is None:
        raise ConsoleLinkError(f"{host} has no console link in {layout.source}")
    server = layout.consoles.get(device.console.server)
    if server is None:
        raise ConsoleLinkError(
            f"console server {device.console.server!r} of {host} is not in {layout.source}"
        )
    return ConsoleTarget(
        host,
        server.url_for(device.console.port),
        baud or device.console.baud,
        server.protocol,
        break_halts=device.console.break_halts,
        newline=device.console.newline,
        backspace=device.console.backspace,
        breaks=server.breaks,
    )
