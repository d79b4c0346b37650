"""What a device is cabled to: the power strips and console servers of a site,
and a device's links to their outlets and ports.

Declarations of `layout` keys (see `model.schema`); `model.layout.Layout` holds the
strips and servers, `model.layout.Device` its links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lautre_tui.model import schema as k
from lautre_tui.model.breaks import MAX_BREAKS, BreakSequence
from lautre_tui.model.console_url import URL_OPTIONS
from lautre_tui.model.errors import NOWHERE, Position
from lautre_tui.model.kinds import Backspace, ConsoleProtocol, Newline

BAUD_RATES = (300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)


@dataclass(frozen=True, slots=True)
class Pdu:
    """A switched power strip and how to reach its management card."""

    name: str
    device: str | None = field(
        metadata=k.text(
            "the rack device that is this strip (so it is drawn and protected)",
            nullable=True,
            default=None,
        )
    )
    driver: str = field(
        metadata=k.text(
            "how the card is spoken to: `apc-nmc` is the APC Network Management Card's "
            "command line over SSH",
            values=("apc-nmc",),
            check="pdu-driver",
            default="apc-nmc",
        )
    )
    host: str = field(metadata=k.host("the management card's address", required=True))
    port: int = field(metadata=k.integer("the card's SSH port", 1, 65535, default=22))
    user: str = field(metadata=k.text("the card's login", default="apc"))
    password_file: Path | None = field(
        metadata=k.path(
            "file holding the card's password; never put the password in the layout",
            default=None,
        )
    )
    outlets: int = field(metadata=k.integer("number of outlets", 1, 96, required=True))
    known_hosts: Path | None = field(
        default=None, metadata=k.path("known_hosts file for the card", default_doc="OpenSSH's")
    )
    position: Position = NOWHERE
    rating_amps: float | None = field(
        default=None,
        metadata=k.number(
            "the strip's rating in amps (e.g. `16`): its load is judged against it",
            low=0.1,
            high=1000,
        ),
    )
    load_warn: float = field(
        default=80.0, metadata=k.percent("the strip warns above this share of its rating")
    )
    poll_interval: float = field(
        default=60.0,
        metadata=k.duration(
            "how often its card is read; it is also read after every power action and on `r`",
            5,
            86400,
        ),
    )


@dataclass(frozen=True, slots=True)
class ConsoleServer:
    """A serial port server; `url` is a pyserial URL template."""

    name: str
    device: str | None = field(
        metadata=k.text("the rack device that is this console server", nullable=True, default=None)
    )
    url: str = field(
        metadata=k.text(
            "pyserial URL template: `rfc2217://HOST:{tcp_port}`, `socket://HOST:{tcp_port}`, "
            "or `/dev/ttyUSB{port}`, with pyserial's URL options if needed (below)",
            required=True,
            check="console-url",
            pattern="^(" + "|".join(URL_OPTIONS) + ")",
        )
    )
    protocol: ConsoleProtocol = field(
        metadata=k.choice(
            "how bytes travel: `raw` is plain TCP, `telnet` TCP with telnet IAC",
            ConsoleProtocol,
            default_doc="from the URL",
        )
    )
    port_offset: int = field(
        default=0,
        metadata=k.integer(
            "TCP port of console port N is `port_offset + N` (`{tcp_port}`); `{port}` is N itself",
            0,
            65535,
        ),
    )
    breaks: tuple[BreakSequence, ...] = field(
        default=(),
        metadata=k.items(
            f"named break sequences, offered in the console's escape menu (keys 1-{MAX_BREAKS}), "
            "as conserver's `break`",
            k.item_of(k.Kind.SECTION, section=BreakSequence),
            check="break-list",
        ),
    )
    position: Position = NOWHERE

    def url_for(self, port: int) -> str:
        """The URL of console port `port`: `{port}` is the port number as cabled,
        `{tcp_port}` the TCP port (`port_offset` + port) as many servers number them."""
        return self.url.format(port=port, tcp_port=self.port_offset + port)


@dataclass(frozen=True, slots=True)
class ConsoleLink:
    server: str = field(metadata=k.text("the console server's name", required=True))
    port: int = field(metadata=k.integer("port number on it", 0, 65535, required=True))
    baud: int = field(
        default=9600,
        metadata=k.integer("baud rate", 1, 4_000_000, values=BAUD_RATES, check="baud-rate"),
    )
    position: Position = NOWHERE
    break_halts: bool = field(
        default=False,
        metadata=k.boolean(
            "`true` when a BREAK stops the machine (SPARC with OpenBoot): BREAK then asks "
            "for confirmation"
        ),
    )
    newline: Newline = field(
        default=Newline.CR,
        metadata=k.choice(
            "what Enter sends (Sun ILOMs, old switches); shown in the footer", Newline
        ),
    )
    backspace: Backspace = field(
        default=Backspace.DEL,
        metadata=k.choice("what Backspace sends: `del` is 0x7f, `bs` is Ctrl-H", Backspace),
    )


@dataclass(frozen=True, slots=True)
class PowerLink:
    pdu: str = field(metadata=k.text("the strip's name", required=True))
    outlet: int = field(metadata=k.integer("the outlet's number on it", 1, 96, required=True))
    position: Position = NOWHERE
