"""The rack layout: the site, its racks and its devices.

Plain frozen dataclasses built by `loader.load_layout`. Every object keeps the
position of its YAML node so that validation and the UI can point at the line
the admin has to fix. The fields a layout writes carry their declaration (type,
bounds, doc) in `metadata`: see `model.schema` for how to add a key. What a
device is cabled to is declared in `model.wiring`, what is checked on it in
`model.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lautre_tui.model import schema as k
from lautre_tui.model.checks import Check, ReachSettings
from lautre_tui.model.errors import NOWHERE as NOWHERE  # re-exported
from lautre_tui.model.errors import Position
from lautre_tui.model.kinds import Backspace as Backspace  # re-exported, as all five
from lautre_tui.model.kinds import ConsoleProtocol as ConsoleProtocol
from lautre_tui.model.kinds import DeviceKind as DeviceKind
from lautre_tui.model.kinds import Lifecycle as Lifecycle
from lautre_tui.model.kinds import Newline as Newline
from lautre_tui.model.status_source import Icinga2Source, StatusSource
from lautre_tui.model.wiring import ConsoleLink, ConsoleServer, Pdu, PowerLink


@dataclass(frozen=True, slots=True)
class SshSettings:
    """How to reach a host over SSH; a key left out is OpenSSH's default or ~/.ssh/config's."""

    host: str | None = field(
        default=None,
        metadata=k.host("host name or address", default_doc="the device's name"),
    )
    port: int | None = field(
        default=None, metadata=k.integer("TCP port", 1, 65535, default_doc="OpenSSH's, 22")
    )
    user: str | None = field(
        default=None,
        metadata=k.text("login", default_doc="from `~/.ssh/config`, else your user"),
    )
    known_hosts: Path | None = field(
        default=None,
        metadata=k.path("known_hosts file. Host keys are always checked", default_doc="OpenSSH's"),
    )
    client_keys: tuple[Path, ...] | None = field(
        default=None,
        metadata=k.items(
            "list of private keys",
            k.item_of(k.Kind.PATH),
            default_doc="OpenSSH's usual keys and the agent",
        ),
    )
    config: Path | None = field(
        default=None, metadata=k.path("OpenSSH client config", default_doc="`~/.ssh/config`")
    )

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

    interval: float = field(
        default=10.0, metadata=k.duration("how often each host is polled", 0.5, 86400)
    )
    soft_fails: int = field(
        default=3,
        metadata=k.integer("rounds in a row before a failed check is hard", 1, 100),
    )
    timeout: float = field(
        default=10.0, metadata=k.duration("how long a host has to answer a round", 0.1, 3600)
    )


@dataclass(frozen=True, slots=True)
class Rack:
    name: str = field(metadata=k.text("the rack's name", required=True))
    height: int = field(metadata=k.integer("height in units", 1, 60, required=True))
    position: Position = NOWHERE


@dataclass(frozen=True, slots=True)
class Device:
    """One piece of equipment in a rack, with its links and what it runs."""

    name: str
    rack: str = field(metadata=k.text("the rack's name", required=True))
    u: int = field(
        metadata=k.integer(
            "the lowest unit the device occupies (1 is the bottom)", 1, 60, required=True
        )
    )
    height: int = field(metadata=k.integer("units occupied", 1, 60, default=1))
    kind: DeviceKind = field(metadata=k.choice("what it is", DeviceKind, required=True))
    state: Lifecycle = field(
        metadata=k.choice(
            "`standby`: off on purpose until its twin fails, not an alert when off; "
            "`staging`: not in production yet, never alerts",
            Lifecycle,
            required=True,
        )
    )
    role: str = field(default="", metadata=k.text("one line: what it does"))
    software: tuple[str, ...] = field(
        default=(),
        metadata=k.items("list of the main software", k.item_of(k.Kind.TEXT), nullable=True),
    )
    ssh: SshSettings = field(
        default_factory=SshSettings,
        metadata=k.section("per-device SSH settings (see `ssh`)", SshSettings),
    )
    console: ConsoleLink | None = field(
        default=None, metadata=k.section("its serial console (below)", ConsoleLink)
    )
    power: tuple[PowerLink, ...] = field(
        default=(),
        metadata=k.items(
            "its outlets: two entries for a dual-PSU device",
            k.item_of(k.Kind.SECTION, section=PowerLink),
        ),
    )
    depends_on: tuple[str, ...] = field(
        default=(),
        metadata=k.items(
            "devices this one needs (MySQL server, NFS filer, switches); no cycles",
            k.item_of(k.Kind.TEXT),
            nullable=True,
        ),
    )
    standby_for: str | None = field(
        default=None,
        metadata=k.text("the device this one stands by for (estelle: `eva`)", nullable=True),
    )
    protected: bool = field(
        default=False,
        metadata=k.boolean(
            "`true` for devices on the admins' own path (router, admin switch, console "
            "server, strip): power actions need the device's name typed"
        ),
    )
    services: tuple[Check, ...] = field(
        default=(),
        metadata=k.items(
            "list of checks (below)", k.item_of(k.Kind.SECTION, section=Check), nullable=True
        ),
    )
    reach: ReachSettings | None = field(
        default=None,
        metadata=k.section("how a device without a shell is seen to answer (below)", ReachSettings),
    )
    notes: str = field(default="", metadata=k.text("free text"))
    impact: str = field(
        default="",
        metadata=k.text("one line: what stops when this device is off; shown before power actions"),
    )
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

    site: str = field(
        metadata=k.text("the site's name, shown in the header", default_doc="the file's name")
    )
    source: str
    ssh: SshSettings = field(
        default_factory=SshSettings,
        metadata=k.section(
            "SSH defaults for every host (below); a device's `ssh:` overrides them", SshSettings
        ),
    )
    poll: PollSettings = field(
        default_factory=PollSettings, metadata=k.section("how hosts are polled", PollSettings)
    )
    racks: tuple[Rack, ...] = field(
        default=(),
        metadata=k.items("the racks", k.item_of(k.Kind.SECTION, section=Rack), required=True),
    )
    pdus: Mapping[str, Pdu] = field(
        default_factory=dict,
        metadata=k.named("switched power strips by name (below)", Pdu, nullable=True),
    )
    consoles: Mapping[str, ConsoleServer] = field(
        default_factory=dict,
        metadata=k.named("serial console servers by name (below)", ConsoleServer, nullable=True),
    )
    devices: Mapping[str, Device] = field(
        default_factory=dict,
        metadata=k.named(
            "the devices by name (below); names are unique", Device, required=True, nullable=True
        ),
    )
    status_source: Icinga2Source | None = field(
        default=None,
        metadata=k.section(
            "where the states come from: absent, the embedded poller; `{icinga2: {...}}` reads "
            "them from an Icinga 2 API (below); `--status-source` overrides",
            StatusSource,
        ),
    )

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


__all__ = [
    "NOWHERE",
    "Backspace",
    "ConsoleProtocol",
    "Device",
    "DeviceKind",
    "Layout",
    "Lifecycle",
    "Newline",
    "PollSettings",
    "Rack",
    "SshSettings",
]
