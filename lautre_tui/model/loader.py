"""Read a layout file into `Layout`, keeping the line and column of every value.

PyYAML's composer gives nodes with marks; we walk them ourselves instead of
`safe_load` so that every error can say `FILE:LINE:COL`, so that duplicate keys
are caught (PyYAML keeps the last one silently), and so that one bad device does
not hide the others: errors are collected and the rest is still built.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from lautre_tui.model.durations import parse_duration
from lautre_tui.model.errors import LayoutError, Position, did_you_mean
from lautre_tui.model.layout import (
    Backspace,
    Check,
    ConsoleLink,
    ConsoleProtocol,
    ConsoleServer,
    Device,
    DeviceKind,
    IpvsExpectation,
    Layout,
    Lifecycle,
    Newline,
    Pdu,
    PollSettings,
    PowerLink,
    Rack,
    ReachSettings,
    SshSettings,
)
from lautre_tui.model.names import (
    host_problem,
    name_problem,
    text_problem,
    url_template_problem,
)
from lautre_tui.model.status_source import parse_status_source
from lautre_tui.model.validate import layout_warnings, validate_layout

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

TOP_KEYS = ("site", "ssh", "poll", "status_source", "racks", "pdus", "consoles", "devices")
SSH_KEYS = ("host", "port", "user", "known_hosts", "client_keys", "config")
POLL_KEYS = ("interval", "soft_fails", "timeout")
RACK_KEYS = ("name", "height")
PDU_KEYS = (
    "device",
    "driver",
    "host",
    "port",
    "user",
    "password_file",
    "outlets",
    "known_hosts",
    "rating_amps",
    "load_warn",
    "poll_interval",
)
REACH_KEYS = ("host", "tcp", "ping")
CONSOLE_SERVER_KEYS = ("device", "url", "protocol", "port_offset")
CONSOLE_LINK_KEYS = ("server", "port", "baud", "break_halts", "newline", "backspace")
# pyserial's URL options, by scheme (`rfc2217://host:port?ign_set_control&timeout=5`)
LOGGING_LEVELS = ("debug", "info", "warning", "error")
URL_OPTIONS: dict[str, tuple[str, ...]] = {
    "rfc2217://": ("ign_set_control", "poll_modem", "timeout", "logging"),
    "socket://": ("logging",),
    "loop://": ("logging",),
    "/dev/": (),
}
POWER_KEYS = ("pdu", "outlet")
DEVICE_KEYS = (
    "rack",
    "u",
    "height",
    "kind",
    "state",
    "role",
    "software",
    "ssh",
    "console",
    "power",
    "depends_on",
    "standby_for",
    "protected",
    "services",
    "reach",
    "notes",
    "impact",
)
CHECK_KINDS = ("process", "port", "service", "mount", "file", "mdstat", "ipvs", "command")
CHECK_KEYS = ("name", *CHECK_KINDS, "fstype", "max_age", "contains", "warn", "crit")
IPVS_KEYS = ("virtual", "min_real")
PDU_DRIVERS = ("apc-nmc",)
MAX_LAYOUT_BYTES = 16 * 1024 * 1024  # a layout of 10,000 devices is about 3 MB
BAUD_RATES = (300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)

Entries = dict[str, tuple[yaml.Node, yaml.Node]]
# libyaml's parser keeps marks too and is several times faster: start-up matters.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a layout file gave: the layout built from every valid part, and the errors."""

    layout: Layout | None
    errors: list[LayoutError]
    broken: frozenset[str] = frozenset()  # declared names whose entry had errors
    warnings: tuple[LayoutError, ...] = ()  # printed, never a reason to refuse the layout

    @property
    def ok(self) -> bool:
        return self.layout is not None and not self.errors


class _Reader:
    """Typed access to YAML nodes that records an error instead of raising."""

    def __init__(self, file: str, base_dir: Path, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.base_dir = base_dir
        self.errors: list[LayoutError] = []
        self.broken: set[str] = set()
        self._loader = loader

    def position(self, node: yaml.Node) -> Position:
        return Position(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(LayoutError(self.position(node), message))

    def value(self, node: yaml.Node) -> Any:
        """The node's value; a tag the safe loader does not know (`!!python/object…`)
        is an error at its position, never a traceback, and reads as nothing."""
        try:
            return self._loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:  # ValueError: int() of 5000 digits
            problem = getattr(error, "problem", None) or str(error)
            self.error(node, f"cannot read this value: {problem}")
            return None

    def mapping(self, node: yaml.Node, what: str, allowed: Iterable[str] | None) -> Entries:
        """The entries of a mapping node by key; unknown and repeated keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of key: value")
            return {}
        entries: Entries = {}
        allowed_keys = tuple(allowed) if allowed is not None else None
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.error(key_node, f"{what}: keys must be names")
                continue
            key = str(key)
            if key in entries:
                first = self.position(entries[key][0])
                self.error(key_node, f"{what}: duplicate key {key!r} (first at line {first.line})")
                continue
            if allowed_keys is not None and key not in allowed_keys:
                self.error(
                    key_node, f"{what}: unknown key {key!r}{did_you_mean(key, allowed_keys)}"
                )
                continue
            entries[key] = (key_node, value_node)
        return entries

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.error(node, f"{what} must be a list")
        return []

    def string(self, node: yaml.Node, what: str) -> str | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, str) and value.strip():
            problem = text_problem(value)
            if problem is not None:
                self.error(node, f"{what}: {problem}")
                return None
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self.error(node, f"{what} must be a non-empty string")
        return None

    def host(self, node: yaml.Node, what: str) -> str | None:
        """A host name or address that a resolver or ~/.ssh/config can take."""
        text = self.string(node, what)
        problem = host_problem(text) if text is not None else None
        if problem is not None:
            self.error(node, f"{what}: {problem}")
            return None
        return text

    def optional_string(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and self.value(node) is None:
            return None
        return self.string(node, what)

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(node, f"{what} must be a whole number")
            return None
        if not low <= value <= high:
            self.error(node, f"{what} must be between {low} and {high}, not {value}")
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, bool):
            return value
        self.error(node, f"{what} must be true or false")
        return None

    def bounded_number(self, node: yaml.Node, what: str, low: float, high: float) -> float | None:
        value = self.number(node, what)
        if value is not None and not low <= value <= high:
            self.error(node, f"{what} must be between {low:g} and {high:g}, not {value:g}")
            return None
        return value

    def number(self, node: yaml.Node, what: str) -> float | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        self.error(node, f"{what} must be a number")
        return None

    def duration(
        self, node: yaml.Node, what: str, low: float = 0.0, high: float = 366 * 86400
    ) -> float | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if value is None:
            self.error(node, f"{what} must be a duration such as 90s, 10m, 26h or 2d")
            return None
        try:
            seconds = parse_duration(value)
        except (TypeError, ValueError) as error:
            self.error(node, f"{what}: {error}")
            return None
        if not low <= seconds <= high:
            self.error(node, f"{what} must be between {low:g} s and {high:g} s, not {seconds:g} s")
            return None
        return seconds

    def choice(self, node: yaml.Node, what: str, enum_type: type[E]) -> E | None:
        text = self.string(node, what)
        if text is None:
            return None
        names = [str(member.value) for member in enum_type]
        if text not in names:
            self.error(node, f"{what}: unknown value {text!r}{did_you_mean(text, names)}")
            return None
        return enum_type(text)

    def strings(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and self.value(node) is None:
            return ()
        items = (self.string(item, f"{what} item") for item in self.sequence(node, what))
        return tuple(item for item in items if item is not None)

    def path(self, node: yaml.Node, what: str) -> Path | None:
        """A path: `~` expanded, relative paths taken from the layout's folder."""
        text = self.string(node, what)
        if text is None:
            return None
        try:
            path = Path(text).expanduser()
        except RuntimeError as error:  # `~nobody-here/…`: no such user's home
            self.error(node, f"{what}: {error}")
            return None
        return path if path.is_absolute() else self.base_dir / path


def _fields(
    reader: _Reader,
    entries: Entries,
    parsers: dict[str, Callable[[yaml.Node], Any]],
) -> dict[str, Any]:
    """Parse each present entry with its parser; None results (errors) are dropped."""
    parsed: dict[str, Any] = {}
    for key, (_key_node, value_node) in entries.items():
        value = parsers[key](value_node)
        if value is not None:
            parsed[key] = value
    return parsed


def _require(reader: _Reader, node: yaml.Node, entries: Entries, what: str, *keys: str) -> bool:
    missing = [key for key in keys if key not in entries]
    for key in missing:
        reader.error(node, f"{what}: missing required key {key!r}")
    return not missing


def _ssh(reader: _Reader, node: yaml.Node, what: str) -> SshSettings:
    r = reader
    entries = r.mapping(node, what, SSH_KEYS)
    values = _fields(
        r,
        entries,
        {
            "host": lambda n: r.host(n, f"{what}.host"),
            "port": lambda n: r.integer(n, f"{what}.port", 1, 65535),
            "user": lambda n: r.string(n, f"{what}.user"),
            "known_hosts": lambda n: r.path(n, f"{what}.known_hosts"),
            "client_keys": lambda n: tuple(
                path
                for path in (
                    r.path(item, f"{what}.client_keys item")
                    for item in r.sequence(n, f"{what}.client_keys")
                )
                if path is not None
            ),
            "config": lambda n: r.path(n, f"{what}.config"),
        },
    )
    return SshSettings(**values)


def _poll(reader: _Reader, node: yaml.Node) -> PollSettings:
    r = reader
    entries = r.mapping(node, "poll", POLL_KEYS)
    values = _fields(
        r,
        entries,
        {
            "interval": lambda n: r.duration(n, "poll.interval", 0.5, 86400),
            "soft_fails": lambda n: r.integer(n, "poll.soft_fails", 1, 100),
            "timeout": lambda n: r.duration(n, "poll.timeout", 0.1, 3600),
        },
    )
    return PollSettings(**values)


def _racks(reader: _Reader, node: yaml.Node) -> list[Rack]:
    racks: list[Rack] = []
    for item in reader.sequence(node, "racks"):
        entries = reader.mapping(item, "rack", RACK_KEYS)
        if not _require(reader, item, entries, "rack", "name", "height"):
            continue
        name = reader.string(entries["name"][1], "rack name")
        height = reader.integer(entries["height"][1], f"rack {name} height", 1, 60)
        if name is not None and height is not None:
            racks.append(Rack(name, height, reader.position(item)))
        elif name is not None:
            reader.broken.add(name)
    return racks


def _pdu(reader: _Reader, name: str, node: yaml.Node) -> Pdu | None:
    r = reader
    what = f"pdu {name}"
    entries = r.mapping(node, what, PDU_KEYS)
    values = _fields(
        r,
        entries,
        {
            "device": lambda n: r.optional_string(n, f"{what} device"),
            "driver": lambda n: _driver(r, n, what),
            "host": lambda n: r.host(n, f"{what} host"),
            "port": lambda n: r.integer(n, f"{what} port", 1, 65535),
            "user": lambda n: r.string(n, f"{what} user"),
            "password_file": lambda n: r.path(n, f"{what} password_file"),
            "outlets": lambda n: r.integer(n, f"{what} outlets", 1, 96),
            "known_hosts": lambda n: r.path(n, f"{what} known_hosts"),
            "rating_amps": lambda n: r.bounded_number(n, f"{what} rating_amps", 0.1, 1000),
            "load_warn": lambda n: _percent(r, n, f"{what} load_warn"),
            "poll_interval": lambda n: r.duration(n, f"{what} poll_interval", 5, 86400),
        },
    )
    if not _require(r, node, entries, what, "host", "outlets"):
        return None
    if "host" not in values or "outlets" not in values:
        return None
    return Pdu(
        name=name,
        device=values.get("device"),
        driver=values.get("driver", "apc-nmc"),
        host=values["host"],
        port=values.get("port", 22),
        user=values.get("user", "apc"),
        password_file=values.get("password_file"),
        outlets=values["outlets"],
        known_hosts=values.get("known_hosts"),
        position=r.position(node),
        rating_amps=values.get("rating_amps"),
        load_warn=values.get("load_warn", 80.0),
        poll_interval=values.get("poll_interval", 60.0),
    )


def _percent(reader: _Reader, node: yaml.Node, what: str) -> float | None:
    """`80%` or `80`: a share of a rating, between 1 and 100."""
    value = reader.value(node) if isinstance(node, yaml.ScalarNode) else None
    text = str(value).strip().removesuffix("%") if value is not None else ""
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 1 <= number <= 100:
        reader.error(node, f"{what} must be a percentage such as 80%, not {value!r}")
        return None
    return number


def _reach(reader: _Reader, node: yaml.Node, what: str) -> ReachSettings | None:
    r = reader
    entries = r.mapping(node, what, REACH_KEYS)
    values = _fields(
        r,
        entries,
        {
            "host": lambda n: r.host(n, f"{what}.host"),
            "tcp": lambda n: tuple(
                port
                for port in (
                    r.integer(item, f"{what}.tcp item", 1, 65535)
                    for item in r.sequence(n, f"{what}.tcp")
                )
                if port is not None
            ),
            "ping": lambda n: r.boolean(n, f"{what}.ping"),
        },
    )
    if not values.get("tcp") and not values.get("ping"):
        r.error(node, f"{what}: says nothing to check (use tcp: [PORT, …] or ping: true)")
        return None
    return ReachSettings(**values)


def _driver(reader: _Reader, node: yaml.Node, what: str) -> str | None:
    driver = reader.string(node, f"{what} driver")
    if driver is not None and driver not in PDU_DRIVERS:
        reader.error(node, f"{what}: unknown driver {driver!r}{did_you_mean(driver, PDU_DRIVERS)}")
        return None
    return driver


def protocol_of_url(url: str) -> ConsoleProtocol:
    """The protocol a console URL implies when the layout does not say."""
    if url.startswith("rfc2217://"):
        return ConsoleProtocol.RFC2217
    if url.startswith("/dev/"):
        return ConsoleProtocol.TTY
    return ConsoleProtocol.RAW


def _console_server(reader: _Reader, name: str, node: yaml.Node) -> ConsoleServer | None:
    r = reader
    what = f"console server {name}"
    entries = r.mapping(node, what, CONSOLE_SERVER_KEYS)
    values = _fields(
        r,
        entries,
        {
            "device": lambda n: r.optional_string(n, f"{what} device"),
            "url": lambda n: _console_url(r, n, what),
            "protocol": lambda n: r.choice(n, f"{what} protocol", ConsoleProtocol),
            "port_offset": lambda n: r.integer(n, f"{what} port_offset", 0, 65535),
        },
    )
    if not _require(r, node, entries, what, "url") or "url" not in values:
        return None
    url: str = values["url"]
    return ConsoleServer(
        name=name,
        device=values.get("device"),
        url=url,
        protocol=values.get("protocol", protocol_of_url(url)),
        port_offset=values.get("port_offset", 0),
        position=r.position(node),
    )


def _console_url(reader: _Reader, node: yaml.Node, what: str) -> str | None:
    url = reader.string(node, f"{what} url")
    if url is None:
        return None
    schemes = ("rfc2217://", "socket://", "loop://", "/dev/")
    if not url.startswith(schemes):
        reader.error(node, f"{what}: url must start with one of {', '.join(schemes)}")
        return None
    problem = url_template_problem(url)
    if problem is not None:
        reader.error(node, f"{what}: {problem}")
        return None
    example = url.format(port=1, tcp_port=1)  # plain fields only: safe to format
    problem = url_options_problem(example)
    if problem is not None:
        reader.error(node, f"{what}: url {problem}")
        return None
    return url


def url_options_problem(url: str) -> str | None:
    """What is wrong with the pyserial options of a console URL (`?a&b=c`), or None."""
    scheme = next((s for s in URL_OPTIONS if url.startswith(s)), None)
    if scheme is None:
        return None  # the scheme itself is checked elsewhere
    allowed = URL_OPTIONS[scheme]
    _base, _mark, query = url.partition("?")
    if not query:
        return None
    if not allowed:
        return f"takes no options after '?' ({scheme} URLs have none)"
    seen: set[str] = set()
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        if name not in allowed:
            hint = did_you_mean(name, allowed)
            return f"option {name!r} is not one of {', '.join(allowed)}{hint}"
        if name in seen:
            return f"option {name!r} is given twice"
        seen.add(name)
        if name in ("ign_set_control", "poll_modem") and equals:
            return f"option {name!r} takes no value (write ?{name})"
        if name == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                return f"option 'timeout' must be a number of seconds, not {value!r}"
            if not 0 < seconds <= 60:
                return f"option 'timeout' must be between 0 and 60 seconds, not {value}"
        if name == "logging" and value not in LOGGING_LEVELS:
            return f"option 'logging' must be one of {', '.join(LOGGING_LEVELS)}, not {value!r}"
    return None


def _console_link(reader: _Reader, node: yaml.Node, what: str) -> ConsoleLink | None:
    r = reader
    entries = r.mapping(node, what, CONSOLE_LINK_KEYS)
    values = _fields(
        r,
        entries,
        {
            "server": lambda n: r.string(n, f"{what}.server"),
            "port": lambda n: r.integer(n, f"{what}.port", 0, 65535),
            "baud": lambda n: _baud(r, n, what),
            "break_halts": lambda n: r.boolean(n, f"{what}.break_halts"),
            "newline": lambda n: r.choice(n, f"{what}.newline", Newline),
            "backspace": lambda n: r.choice(n, f"{what}.backspace", Backspace),
        },
    )
    if not _require(r, node, entries, what, "server", "port"):
        return None
    if "server" not in values or "port" not in values:
        return None
    return ConsoleLink(
        values["server"],
        values["port"],
        values.get("baud", 9600),
        r.position(node),
        break_halts=values.get("break_halts", False),
        newline=values.get("newline", Newline.CR),
        backspace=values.get("backspace", Backspace.DEL),
    )


def _baud(reader: _Reader, node: yaml.Node, what: str) -> int | None:
    baud = reader.integer(node, f"{what}.baud", 1, 4_000_000)
    if baud is not None and baud not in BAUD_RATES:
        rates = ", ".join(str(rate) for rate in BAUD_RATES)
        reader.error(node, f"{what}.baud {baud} is not a standard rate ({rates})")
        return None
    return baud


def _power(reader: _Reader, node: yaml.Node, what: str) -> tuple[PowerLink, ...]:
    links: list[PowerLink] = []
    for item in reader.sequence(node, what):
        entries = reader.mapping(item, f"{what} item", POWER_KEYS)
        if not _require(reader, item, entries, f"{what} item", "pdu", "outlet"):
            continue
        pdu = reader.string(entries["pdu"][1], f"{what}.pdu")
        outlet = reader.integer(entries["outlet"][1], f"{what}.outlet", 1, 96)
        if pdu is not None and outlet is not None:
            links.append(PowerLink(pdu, outlet, reader.position(item)))
    return tuple(links)


def _checks(reader: _Reader, node: yaml.Node, what: str) -> tuple[Check, ...]:
    if isinstance(node, yaml.ScalarNode) and reader.value(node) is None:
        return ()
    checks = (_check(reader, item, what) for item in reader.sequence(node, what))
    return tuple(check for check in checks if check is not None)


def _check(reader: _Reader, node: yaml.Node, what: str) -> Check | None:
    r = reader
    label = f"{what} item"
    if isinstance(node, yaml.MappingNode):
        names = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "name"]
        if names and isinstance(names[0], yaml.ScalarNode):
            label = f"check {names[0].value!r}"
    entries = r.mapping(node, label, CHECK_KEYS)
    if not entries:
        return None
    values = _fields(
        r,
        entries,
        {
            "name": lambda n: r.string(n, f"{label} name"),
            "process": lambda n: r.string(n, f"{label} process"),
            "port": lambda n: r.integer(n, f"{label} port", 1, 65535),
            "service": lambda n: r.string(n, f"{label} service"),
            "mount": lambda n: r.string(n, f"{label} mount"),
            "fstype": lambda n: r.string(n, f"{label} fstype"),
            "file": lambda n: r.string(n, f"{label} file"),
            "max_age": lambda n: r.duration(n, f"{label} max_age"),
            "contains": lambda n: r.string(n, f"{label} contains"),
            "mdstat": lambda n: r.boolean(n, f"{label} mdstat"),
            "ipvs": lambda n: _ipvs(r, n, label),
            "command": lambda n: r.string(n, f"{label} command"),
            "warn": lambda n: r.number(n, f"{label} warn"),
            "crit": lambda n: r.number(n, f"{label} crit"),
        },
    )
    if not _require(r, node, entries, label, "name") or "name" not in values:
        return None
    if not any(kind in entries for kind in CHECK_KINDS):
        r.error(node, f"{label}: says nothing to check (use one of: {', '.join(CHECK_KINDS)})")
        return None
    for extra, needs in (("fstype", "mount"), ("max_age", "file"), ("contains", "file")):
        if extra in entries and needs not in entries:
            r.error(entries[extra][0], f"{label}: {extra} only makes sense with {needs}")
    return Check(**values, position=r.position(node))


def _ipvs(reader: _Reader, node: yaml.Node, label: str) -> IpvsExpectation | None:
    entries = reader.mapping(node, f"{label} ipvs", IPVS_KEYS)
    if not _require(reader, node, entries, f"{label} ipvs", "virtual"):
        return None
    virtual = reader.string(entries["virtual"][1], f"{label} ipvs.virtual")
    min_real = 1
    if "min_real" in entries:
        min_real = reader.integer(entries["min_real"][1], f"{label} ipvs.min_real", 0, 1000) or 0
    return IpvsExpectation(virtual, min_real) if virtual is not None else None


def _device(reader: _Reader, name: str, node: yaml.Node) -> Device | None:
    r = reader
    what = f"device {name}"
    entries = r.mapping(node, what, DEVICE_KEYS)
    values = _fields(
        r,
        entries,
        {
            "rack": lambda n: r.string(n, f"{what} rack"),
            "u": lambda n: r.integer(n, f"{what} u", 1, 60),
            "height": lambda n: r.integer(n, f"{what} height", 1, 60),
            "kind": lambda n: r.choice(n, f"{what} kind", DeviceKind),
            "state": lambda n: r.choice(n, f"{what} state", Lifecycle),
            "role": lambda n: r.string(n, f"{what} role"),
            "software": lambda n: r.strings(n, f"{what} software"),
            "ssh": lambda n: _ssh(r, n, f"{what} ssh"),
            "console": lambda n: _console_link(r, n, f"{what} console"),
            "power": lambda n: _power(r, n, f"{what} power"),
            "depends_on": lambda n: r.strings(n, f"{what} depends_on"),
            "standby_for": lambda n: r.optional_string(n, f"{what} standby_for"),
            "protected": lambda n: r.boolean(n, f"{what} protected"),
            "services": lambda n: _checks(r, n, f"{what} services"),
            "reach": lambda n: _reach(r, n, f"{what} reach"),
            "notes": lambda n: r.string(n, f"{what} notes"),
            "impact": lambda n: r.string(n, f"{what} impact"),
        },
    )
    if not _require(r, node, entries, what, "rack", "u", "kind", "state"):
        return None
    if not all(key in values for key in ("rack", "u", "kind", "state")):
        return None
    positions = {key: r.position(value_node) for key, (_k, value_node) in entries.items()}
    return Device(
        name=name,
        height=values.pop("height", 1),
        position=r.position(node),
        field_positions=positions,
        **values,
    )


def _named_section(
    reader: _Reader,
    node: yaml.Node,
    section: str,
    build: Callable[[_Reader, str, yaml.Node], T | None],
) -> dict[str, T]:
    built: dict[str, T] = {}
    if isinstance(node, yaml.ScalarNode) and reader.value(node) is None:
        return built
    for name, (key_node, value_node) in reader.mapping(node, section, None).items():
        problem = name_problem(name)
        if problem is not None:
            reader.error(key_node, f"{section}: {problem}")
            reader.broken.add(name)
            continue
        item = build(reader, name, value_node)
        if item is not None:
            built[name] = item
        else:
            reader.broken.add(name)
    return built


def parse_layout(text: str, file: str, base_dir: Path) -> LoadResult:
    """Build a layout from YAML text; `file` names it in errors."""
    try:
        loader = SafeLoader(text)
        root = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(error, "problem", None) or str(error)
        return LoadResult(
            None, [LayoutError(Position(file, line, col), f"not valid YAML: {problem}")]
        )
    try:
        return _build(_Reader(file, base_dir, loader), root)
    finally:
        loader.dispose()


def _build(reader: _Reader, root: yaml.Node | None) -> LoadResult:
    if root is None:
        return LoadResult(None, [LayoutError(Position(reader.file, 1, 1), "the layout is empty")])
    entries = reader.mapping(root, "layout", TOP_KEYS)
    if not isinstance(root, yaml.MappingNode):
        return LoadResult(None, reader.errors)
    _require(reader, root, entries, "layout", "racks", "devices")
    node = {key: value for key, (_k, value) in entries.items()}
    site = reader.string(node["site"], "site") if "site" in node else None
    ssh = _ssh(reader, node["ssh"], "ssh") if "ssh" in node else SshSettings()
    poll = _poll(reader, node["poll"]) if "poll" in node else PollSettings()
    racks = _racks(reader, node["racks"]) if "racks" in node else []
    pdus = _named_section(reader, node["pdus"], "pdus", _pdu) if "pdus" in node else {}
    consoles = (
        _named_section(reader, node["consoles"], "consoles", _console_server)
        if "consoles" in node
        else {}
    )
    devices = (
        _named_section(reader, node["devices"], "devices", _device) if "devices" in node else {}
    )
    layout = Layout(
        site=site or Path(reader.file).stem,
        source=reader.file,
        ssh=ssh,
        poll=poll,
        racks=tuple(racks),
        pdus=pdus,
        consoles=consoles,
        devices=devices,
        status_source=parse_status_source(reader, node["status_source"])
        if "status_source" in node
        else None,
    )
    return LoadResult(layout, reader.errors, frozenset(reader.broken))


def load_layout(path: str | Path, *, check: bool = True) -> LoadResult:
    """Read and parse the layout at `path`; with `check`, validate it as a whole too.

    Never raises for bad input: a missing file or bad YAML is an error in the result.
    """
    file = str(path)
    try:
        text = read_text_file(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return LoadResult(None, [LayoutError(Position(file, 1, 1), f"cannot read: {reason}")])
    result = parse_layout(text, file, Path(path).expanduser().resolve().parent)
    if check and result.layout is not None:
        errors = result.errors + validate_layout(result.layout, result.broken)
        errors.sort(key=lambda error: (error.position.line, error.position.col))
        return LoadResult(
            result.layout, errors, result.broken, tuple(layout_warnings(result.layout))
        )
    return result


def read_text_file(path: Path, limit: int = MAX_LAYOUT_BYTES) -> str:
    """A regular file's UTF-8 text: a FIFO would hang the reader and `/dev/zero`
    would fill memory, so anything but a regular file of sane size is refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // (1024 * 1024)} MB: not a layout")
    return data.decode("utf-8")
