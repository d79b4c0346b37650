"""The rack layout: racks, devices, power strips, console servers and checks.

Plain frozen dataclasses built by `loader.load_layout`. Every object keeps the
position of its YAML node so that validation and the UI can point at the line
the admin has to fix.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lautre_tui.model.errors import Position
from lautre_tui.model.status_source import Icinga2Source

NOWHERE = Position("<built-in>", 0, 0)


class DeviceKind(str, enum.Enum):
    """What a device is; decides how it is drawn and which actions make sense."""

    SERVER = "server"
    SWITCH = "switch"
    PDU = "pdu"
    CONSOLE_SERVER = "console-server"
    DISK_BAY = "disk-bay"
    OTHER = "other"


class Lifecycle(str, enum.Enum):
    """What the admins expect of a device, independent of what it does right now."""

    PRODUCTION = "production"
    STANDBY = "standby"  # cold standby: off on purpose until its twin fails
    STAGING = "staging"  # not in production yet: never alerts


class Newline(str, enum.Enum):
    """What the Enter key sends to a console (most want CR; some ILOMs and old
    switches want LF or CR LF)."""

    CR = "cr"
    LF = "lf"
    CRLF = "crlf"

    @property
    def data(self) -> bytes:
        return {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}[self.value]


class Backspace(str, enum.Enum):
    """What the Backspace key sends: DEL (0x7f, most) or BS (Ctrl-H, 0x08)."""

    DEL = "del"
    BS = "bs"

    @property
    def data(self) -> bytes:
        return b"\x7f" if self is Backspace.DEL else b"\x08"


class ConsoleProtocol(str, enum.Enum):
    """How bytes travel to the console server's port."""

    RFC2217 = "rfc2217"
    RAW = "raw"  # plain TCP, no negotiation
    TELNET = "telnet"  # TCP with telnet IAC escaping (BREAK as IAC BRK)
    TTY = "tty"  # a local serial device, /dev/tty*


@dataclass(frozen=True, slots=True)
class SshSettings:
    """How to reach a host over SSH; None means "OpenSSH's default or ~/.ssh/config"."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    known_hosts: Path | None = None
    client_keys: tuple[Path, ...] | None = None
    config: Path | None = None

    def overridden_by(self, other: SshSettings) -> SshSettings:
        """These defaults with every field that `other` sets taking precedence."""
        return SshSettings(
            host=other.host if other.host is not None else self.host,
            port=other.port if other.port is not None else self.port,
            user=other.user if other.user is not None else self.user,
            known_hosts=other.known_hosts if other.known_hosts is not None else self.known_hosts,
            client_keys=other.client_keys if other.client_keys is not None else self.client_keys,
            config=other.config if other.config is not None else self.config,
        )


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How often hosts are polled and when a failure becomes hard."""

    interval: float = 10.0
    soft_fails: int = 3
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Rack:
    name: str
    height: int
    position: Position = NOWHERE


@dataclass(frozen=True, slots=True)
class Pdu:
    """A switched power strip and how to reach its management card."""

    name: str
    device: str | None
    driver: str
    host: str
    port: int
    user: str
    password_file: Path | None
    outlets: int
    known_hosts: Path | None = None
    position: Position = NOWHERE
    rating_amps: float | None = None  # the strip's rating: its load is judged against it
    load_warn: float = 80.0  # percent of the rating above which the strip warns
    poll_interval: float = 60.0  # the card is read this often, and after every action


@dataclass(frozen=True, slots=True)
class ReachSettings:
    """How a device without a shell (or with one, in addition) is seen to answer:
    TCP connects that send nothing, and/or the system's ping."""

    host: str | None = None
    tcp: tuple[int, ...] = ()
    ping: bool = False


@dataclass(frozen=True, slots=True)
class ConsoleServer:
    """A serial port server; `url` is a pyserial URL template."""

    name: str
    device: str | None
    url: str
    protocol: ConsoleProtocol
    port_offset: int = 0
    position: Position = NOWHERE

    def url_for(self, port: int) -> str:
        """The URL of console port `port`: `{port}` is the port number as cabled,
        `{tcp_port}` the TCP port (`port_offset` + port) as many servers number them."""
        return self.url.format(port=port, tcp_port=self.port_offset + port)


@dataclass(frozen=True, slots=True)
class ConsoleLink:
    server: str
    port: int
    baud: int = 9600
    position: Position = NOWHERE
    break_halts: bool = False  # a BREAK stops the machine (SPARC: drops to OpenBoot)
    newline: Newline = Newline.CR  # what Enter sends
    backspace: Backspace = Backspace.DEL  # what Backspace sends


@dataclass(frozen=True, slots=True)
class PowerLink:
    pdu: str
    outlet: int
    position: Position = NOWHERE


@dataclass(frozen=True, slots=True)
class IpvsExpectation:
    """An LVS virtual service and how many real servers it needs at least."""

    virtual: str
    min_real: int = 1


@dataclass(frozen=True, slots=True)
class Check:
    """One service check on a host; which fields are set says what is checked."""

    name: str
    process: str | None = None
    port: int | None = None
    service: str | None = None
    mount: str | None = None
    fstype: str | None = None
    file: str | None = None
    max_age: float | None = None
    contains: str | None = None
    mdstat: bool = False
    ipvs: IpvsExpectation | None = None
    command: str | None = None
    warn: float | None = None
    crit: float | None = None
    position: Position = NOWHERE


@dataclass(frozen=True, slots=True)
class Device:
    """One piece of equipment in a rack, with its links and what it runs."""

    name: str
    rack: str
    u: int
    height: int
    kind: DeviceKind
    state: Lifecycle
    role: str = ""
    software: tuple[str, ...] = ()
    ssh: SshSettings = field(default_factory=SshSettings)
    console: ConsoleLink | None = None
    power: tuple[PowerLink, ...] = ()
    depends_on: tuple[str, ...] = ()
    standby_for: str | None = None
    protected: bool = False
    services: tuple[Check, ...] = ()
    reach: ReachSettings | None = None
    notes: str = ""
    impact: str = ""  # what stops when this device is off, in the admins' words
    position: Position = NOWHERE
    field_positions: Mapping[str, Position] = field(default_factory=dict)

    @property
    def top(self) -> int:
        """The highest unit the device occupies."""
        return self.u + self.height - 1

    @property
    def units(self) -> range:
        return range(self.u, self.u + self.height)

    def position_of(self, key: str) -> Position:
        """Where `key` is written for this device, or the device itself."""
        return self.field_positions.get(key, self.position)


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything one layout file says, in file order."""

    site: str
    source: str
    ssh: SshSettings = field(default_factory=SshSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    racks: tuple[Rack, ...] = ()
    pdus: Mapping[str, Pdu] = field(default_factory=dict)
    consoles: Mapping[str, ConsoleServer] = field(default_factory=dict)
    devices: Mapping[str, Device] = field(default_factory=dict)
    status_source: Icinga2Source | None = None  # None: the embedded poller

    def rack(self, name: str) -> Rack | None:
        return next((rack for rack in self.racks if rack.name == name), None)

    def devices_in(self, rack: str) -> list[Device]:
        """The devices of `rack`, from the top of the rack down, as seen from the front."""
        return sorted(
            (device for device in self.devices.values() if device.rack == rack),
            key=lambda device: -device.top,
        )

    def ssh_for(self, device: Device) -> SshSettings:
        """The device's SSH settings over the layout's defaults; the host defaults
        to the device's name, as admins type it."""
        merged = self.ssh.overridden_by(device.ssh)
        return merged if merged.host is not None else replace(merged, host=device.name)

    def reach_address(self, device: Device) -> str:
        """Where reach checks go: `reach.host`, else the SSH host, else the name."""
        if device.reach is not None and device.reach.host is not None:
            return device.reach.host
        return self.ssh_for(device).host or device.name

    def strip_of(self, device: Device) -> Pdu | None:
        """The strip whose card this device is, if it is one."""
        return next((pdu for pdu in self.pdus.values() if pdu.device == device.name), None)
