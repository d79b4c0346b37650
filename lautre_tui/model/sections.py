"""How each section of a layout is built from its YAML node.

Which keys a section has, and what each holds, comes from the declarations in
`model.layout`, `model.wiring` and `model.checks` (see `model.schema`): this
module only says how each section is named in errors and the rules that tie its
keys together; `model.key_checks` holds the checks of single values. Errors are collected
in the `Reader` and the rest is still built, so that one bad device does not
hide the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from lautre_tui.model.breaks import BreakSequence, parse_sequence
from lautre_tui.model.checks import Check, IpvsExpectation, ReachSettings
from lautre_tui.model.console_url import protocol_of_url
from lautre_tui.model.key_checks import KEY_CHECKS
from lautre_tui.model.layout import Device, Layout, Rack
from lautre_tui.model.names import name_problem
from lautre_tui.model.reader import Entries, Reader
from lautre_tui.model.schema import Kind, Spec, alternatives, defaults, key_names, keys, required
from lautre_tui.model.status_source import Icinga2Source, StatusSource
from lautre_tui.model.wiring import ConsoleLink, ConsoleServer, Pdu, PowerLink

T = TypeVar("T")


def build_layout(reader: Reader, root: yaml.Node) -> Layout | None:
    """The layout a document's root node says, from every valid part; None when the
    root is no mapping. What is wrong is in `reader.errors`."""
    entries = _section(reader, root, "layout", Layout)
    if not isinstance(root, yaml.MappingNode):
        return None
    _require(reader, root, entries, "layout", Layout)
    values = defaults(Layout) | _fields(reader, entries, Layout, "", "")
    return Layout(
        source=reader.file,
        **(values | {"site": values.get("site") or Path(reader.file).stem}),
    )


def _section(reader: Reader, node: yaml.Node, what: str, cls: type) -> Entries:
    """The entries of a mapping of section `cls`; unknown and repeated keys are errors."""
    return reader.mapping(node, what, key_names(cls))


def _fields(reader: Reader, entries: Entries, cls: type, what: str, sep: str) -> dict[str, Any]:
    """Each present entry read as its declaration says, named `what` + `sep` + key in
    errors; entries with errors are left out."""
    declared = keys(cls)
    parsed: dict[str, Any] = {}
    for key, (_key_node, value_node) in entries.items():
        value = _value(reader, declared[key].spec, value_node, f"{what}{sep}{key}", what)
        if value is not None:
            parsed[key] = value
    return parsed


def _value(reader: Reader, spec: Spec, node: yaml.Node, label: str, what: str) -> Any:
    """One value of the kind `spec` declares, then its extra check if it has one."""
    r = reader
    value: Any
    if spec.kind is Kind.TEXT:
        value = r.optional_string(node, label) if spec.nullable else r.string(node, label)
    elif spec.kind is Kind.HOST:
        value = r.host(node, label)
    elif spec.kind is Kind.PATH:
        value = r.path(node, label)
    elif spec.kind is Kind.INTEGER:
        value = r.integer(node, label, int(spec.low or 0), int(spec.high or 0))
    elif spec.kind is Kind.NUMBER:
        bounded = spec.low is not None and spec.high is not None
        value = (
            r.bounded_number(node, label, spec.low or 0.0, spec.high or 0.0)
            if bounded
            else r.number(node, label)
        )
    elif spec.kind is Kind.BOOLEAN:
        value = r.boolean(node, label)
    elif spec.kind is Kind.DURATION:
        value = r.duration(node, label, spec.low or 0.0, spec.high or 0.0)
    elif spec.kind is Kind.PERCENT:
        value = r.percent(node, label)
    elif spec.kind is Kind.CHOICE and spec.choices is not None:
        value = r.choice(node, label, spec.choices)
    elif spec.kind is Kind.LIST and spec.item is not None:
        value = _list(r, spec, spec.item, node, label)
    elif spec.kind is Kind.SECTION and spec.section is not None:
        value = SECTIONS.get(spec.section, _plain_section)(r, node, label, spec.section)
    elif spec.kind is Kind.NAMED and spec.section is not None:
        value = _named_section(r, node, label, NAMED[spec.section])
    else:  # pragma: no cover - a declaration the loader cannot read is a bug
        raise TypeError(f"cannot read {label}: {spec}")
    if value is not None and spec.check is not None:
        return KEY_CHECKS[spec.check](r, node, value, what, label)
    return value


def _list(
    reader: Reader, spec: Spec, item_spec: Spec, node: yaml.Node, label: str
) -> tuple[Any, ...]:
    if spec.nullable and isinstance(node, yaml.ScalarNode) and reader.value(node) is None:
        return ()
    if item_spec.kind is Kind.SECTION and item_spec.section is not None:
        build = ITEMS[item_spec.section]
        found = (build(reader, item, label) for item in reader.sequence(node, label))
    else:
        found = (
            _value(reader, item_spec, item, f"{label} item", label)
            for item in reader.sequence(node, label)
        )
    return tuple(item for item in found if item is not None)


def _require(reader: Reader, node: yaml.Node, entries: Entries, what: str, cls: type) -> bool:
    missing = [key for key in required(cls) if key not in entries]
    for key in missing:
        reader.error(node, f"{what}: missing required key {key!r}")
    return not missing


def _complete(
    reader: Reader, node: yaml.Node, what: str, cls: type, sep: str
) -> tuple[Entries, dict[str, Any]] | None:
    """The entries of section `cls` and their values, every key read so that each
    bad one is said; None when a required key is missing or bad."""
    entries = _section(reader, node, what, cls)
    values = _fields(reader, entries, cls, what, sep)
    if not _require(reader, node, entries, what, cls):
        return None
    if not all(key in values for key in required(cls)):
        return None
    return entries, values


def _plain_section(reader: Reader, node: yaml.Node, what: str, cls: type) -> Any:
    """A section with no rule beyond its keys' own (`ssh`, `poll`): its values are
    named `what.key` in errors. A new section of that sort needs no code here."""
    read = _complete(reader, node, what, cls, ".")
    return None if read is None else cls(**(defaults(cls) | read[1]))


def _rack(reader: Reader, item: yaml.Node, what: str) -> Rack | None:
    entries = _section(reader, item, "rack", Rack)
    if not _require(reader, item, entries, "rack", Rack):
        return None
    declared = keys(Rack)
    name = _value(reader, declared["name"].spec, entries["name"][1], "rack name", "rack")
    height = _value(
        reader, declared["height"].spec, entries["height"][1], f"rack {name} height", "rack"
    )
    if name is not None and height is not None:
        return Rack(name, height, reader.position(item))
    if name is not None:
        reader.broken.add(name)
    return None


def _pdu(reader: Reader, name: str, node: yaml.Node) -> Pdu | None:
    read = _complete(reader, node, f"pdu {name}", Pdu, " ")
    if read is None:
        return None
    return Pdu(name=name, position=reader.position(node), **(defaults(Pdu) | read[1]))


def _console_server(reader: Reader, name: str, node: yaml.Node) -> ConsoleServer | None:
    what = f"console server {name}"
    entries = _section(reader, node, what, ConsoleServer)
    values = _fields(reader, entries, ConsoleServer, what, " ")
    if not _require(reader, node, entries, what, ConsoleServer) or "url" not in values:
        return None
    implied = {"protocol": protocol_of_url(values["url"])}
    return ConsoleServer(
        name=name, position=reader.position(node), **(defaults(ConsoleServer) | implied | values)
    )


def _console_link(reader: Reader, node: yaml.Node, what: str, _cls: type) -> ConsoleLink | None:
    read = _complete(reader, node, what, ConsoleLink, ".")
    if read is None:
        return None
    return ConsoleLink(position=reader.position(node), **(defaults(ConsoleLink) | read[1]))


def _power_link(reader: Reader, item: yaml.Node, what: str) -> PowerLink | None:
    entries = _section(reader, item, f"{what} item", PowerLink)
    if not _require(reader, item, entries, f"{what} item", PowerLink):
        return None
    values = _fields(reader, entries, PowerLink, what, ".")
    if not all(key in values for key in required(PowerLink)):
        return None
    return PowerLink(position=reader.position(item), **values)


def _break_sequence(reader: Reader, item: yaml.Node, what: str) -> BreakSequence | None:
    """One named break sequence, its string read into the steps it sends."""
    label = f"{what} item"
    entries = _section(reader, item, label, BreakSequence)
    if not _require(reader, item, entries, label, BreakSequence):
        return None
    values = _fields(reader, entries, BreakSequence, what, " ")
    if not all(key in values for key in required(BreakSequence)):
        return None
    delay = values.get("delay", defaults(BreakSequence)["delay"])
    try:
        steps = parse_sequence(values["sequence"], delay / 1000)
    except ValueError as error:
        reader.error(entries["sequence"][1], f"{what} {values['name']}: {error}")
        return None
    return BreakSequence(position=reader.position(item), steps=steps, **values)


def _status_source(reader: Reader, node: yaml.Node, what: str, cls: type) -> Any:
    """`status_source: {icinga2: {...}}`: the layout keeps the Icinga 2 section."""
    source = _plain_section(reader, node, what, StatusSource)
    return source.icinga2 if source is not None else None


def _icinga2(reader: Reader, node: yaml.Node, what: str, cls: type) -> Icinga2Source | None:
    """No source at all rather than one half read (a default in place of a bad key)."""
    before = len(reader.errors)
    source = _plain_section(reader, node, what, Icinga2Source)
    if isinstance(node, yaml.MappingNode):
        given = {key.value for key, _value in node.value if isinstance(key, yaml.ScalarNode)}
        if ("client_cert" in given) != ("client_key" in given):
            reader.error(node, f"{what}: client_cert and client_key go together")
    if not isinstance(source, Icinga2Source) or len(reader.errors) > before:
        return None
    return dataclasses.replace(source, url=source.url.rstrip("/"))


def _check(reader: Reader, node: yaml.Node, what: str) -> Check | None:
    r = reader
    label = f"{what} item"
    if isinstance(node, yaml.MappingNode):
        names = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "name"]
        if names and isinstance(names[0], yaml.ScalarNode):
            label = f"check {names[0].value!r}"
    entries = _section(r, node, label, Check)
    if not entries:
        return None
    values = _fields(r, entries, Check, label, " ")
    if not _require(r, node, entries, label, Check) or "name" not in values:
        return None
    kinds = alternatives(Check)
    if not any(kind in entries for kind in kinds):
        r.error(node, f"{label}: says nothing to check (use one of: {', '.join(kinds)})")
        return None
    for extra, key in keys(Check).items():
        needs = key.spec.needs
        if needs is not None and extra in entries and needs not in entries:
            r.error(entries[extra][0], f"{label}: {extra} only makes sense with {needs}")
    return Check(**values, position=r.position(node))


def _ipvs(reader: Reader, node: yaml.Node, what: str, _cls: type) -> IpvsExpectation | None:
    entries = _section(reader, node, what, IpvsExpectation)
    if not _require(reader, node, entries, what, IpvsExpectation):
        return None
    values = _fields(reader, entries, IpvsExpectation, what, ".")
    return IpvsExpectation(**values) if "virtual" in values else None


def _reach(reader: Reader, node: yaml.Node, what: str, _cls: type) -> ReachSettings | None:
    entries = _section(reader, node, what, ReachSettings)
    values = _fields(reader, entries, ReachSettings, what, ".")
    if not any(values.get(key) for key in alternatives(ReachSettings)):
        reader.error(node, f"{what}: says nothing to check (use tcp: [PORT, …] or ping: true)")
        return None
    return ReachSettings(**values)


def _device(reader: Reader, name: str, node: yaml.Node) -> Device | None:
    read = _complete(reader, node, f"device {name}", Device, " ")
    if read is None:
        return None
    entries, values = read
    positions = {key: reader.position(value_node) for key, (_k, value_node) in entries.items()}
    return Device(
        name=name,
        position=reader.position(node),
        field_positions=positions,
        **(defaults(Device) | values),
    )


def _named_section(
    reader: Reader,
    node: yaml.Node,
    section: str,
    build: Callable[[Reader, str, yaml.Node], T | None],
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


# The builders of nested sections with rules of their own, by declared dataclass
# (any other section is read by `_plain_section`), of the items of lists of
# sections, and of mappings of named sections.
SECTIONS: dict[type, Callable[[Reader, yaml.Node, str, type], Any]] = {
    ConsoleLink: _console_link,
    ReachSettings: _reach,
    IpvsExpectation: _ipvs,
    StatusSource: _status_source,
    Icinga2Source: _icinga2,
}
ITEMS: dict[type, Callable[[Reader, yaml.Node, str], Any]] = {
    Rack: _rack,
    PowerLink: _power_link,
    Check: _check,
    BreakSequence: _break_sequence,
}
NAMED: dict[type, Callable[[Reader, str, yaml.Node], Any]] = {
    Pdu: _pdu,
    ConsoleServer: _console_server,
    Device: _device,
}
