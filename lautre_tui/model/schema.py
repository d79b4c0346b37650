"""The layout's keys, declared once: each is a dataclass field of `model.layout`
(or `model.wiring`, `model.checks`) whose `metadata` holds a `Spec` (type,
constraint, doc, default).

From these declarations come the loader's key lists, type checks and "unknown
key" errors (`model.sections`), the key tables of `docs/layout.md`
(`model.schema_docs`) and the JSON Schema that editors use
(`model.schema_json`, printed by `lautre-tui schema`). Checks that are about
more than one key (references, overlaps, cycles) stay code in `model.validate`.

To add a key: add one field to the dataclass of its section (in
`model/layout.py`, `wiring.py` or `checks.py`), with `metadata=` one of the
constructors below (`text()`, `integer()`, `duration()`, `choice()`,
`section()` …) and a default, then run
`python scripts/layout_docs.py` to regenerate the docs' tables and the committed
`layouts/layout.schema.json` (the suite fails until you do). A new section is a
new dataclass declared the same way, named by a `section()` key; the loader reads
it with no code of its own (errors name its keys `what.key`) unless it has rules
that tie its keys together, or is the item of a list or a mapping of named
entries: those builders are in `model/sections.py` (SECTIONS, ITEMS, NAMED).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from typing import Any

from lautre_tui.model.durations import format_duration

SCHEMA = "lautre_tui.schema"  # the metadata key holding a field's Spec
YEAR = 366 * 86400  # the loader's default upper bound for a duration


class Absent(enum.Enum):
    """The default of a key that has none (dataclasses' MISSING cannot be a default)."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT


class Kind(enum.Enum):
    """What a value is, as the loader reads it and as JSON Schema describes it."""

    TEXT = "text"  # a non-empty string (numbers are taken as their text)
    HOST = "host"  # a host name or IP address
    PATH = "path"  # a file path: `~` expanded, relative to the layout's folder
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DURATION = "duration"  # `90s`, `10m`, `26h`, `2d` or seconds
    PERCENT = "percent"  # `80%` or `80`
    CHOICE = "choice"  # one of an enum's values
    LIST = "list"  # a list of `item`
    SECTION = "section"  # a mapping of the keys of `section`
    NAMED = "named"  # a mapping of file-safe names to `section`


@dataclass(frozen=True, slots=True)
class Spec:
    """One key: what it holds, its bounds, and what it means."""

    kind: Kind
    doc: str
    required: bool = False
    nullable: bool = False  # `key:` with no value means "none" (an empty list, no value)
    low: float | None = None
    high: float | None = None
    choices: type[enum.Enum] | None = None
    values: tuple[str | int, ...] = ()  # the only values allowed (checked by `check`)
    check: str | None = None  # a loader check beyond the type (see key_checks.KEY_CHECKS)
    pattern: str | None = None  # for the JSON Schema: what `check` accepts, as a regex
    item: Spec | None = None  # LIST: what each item is
    section: type | None = None  # SECTION / NAMED: the dataclass of the keys
    alternative: bool = False  # one of the keys of which a section needs at least one
    needs: str | None = None  # only makes sense together with this key
    default: Any = ABSENT  # the value when absent, if the field's own default is not it
    default_doc: str | None = None  # the default in words, when it is not a value


def _meta(spec: Spec) -> Mapping[str, Spec]:
    return {SCHEMA: spec}


def text(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.TEXT, doc, **options))


def host(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.HOST, doc, **options))


def path(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.PATH, doc, **options))


def integer(doc: str, low: int, high: int, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.INTEGER, doc, low=low, high=high, **options))


def number(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.NUMBER, doc, **options))


def boolean(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.BOOLEAN, doc, **options))


def duration(doc: str, low: float = 0.0, high: float = YEAR, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.DURATION, doc, low=low, high=high, **options))


def percent(doc: str, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.PERCENT, doc, low=1, high=100, **options))


def choice(doc: str, choices: type[enum.Enum], **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.CHOICE, doc, choices=choices, **options))


def items(doc: str, item: Spec, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.LIST, doc, item=item, **options))


def section(doc: str, of: type, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.SECTION, doc, section=of, **options))


def named(doc: str, of: type, **options: Any) -> Mapping[str, Spec]:
    return _meta(Spec(Kind.NAMED, doc, section=of, **options))


def item_of(kind: Kind, **options: Any) -> Spec:
    """The Spec of a list's items (they have no doc of their own)."""
    return Spec(kind, "", **options)


@dataclass(frozen=True, slots=True)
class Key:
    """A declared key of a section, with its effective default."""

    name: str
    spec: Spec
    default: Any  # ABSENT when the key has none


@functools.cache
def keys(cls: type) -> dict[str, Key]:
    """The layout keys of section `cls`, in declaration order (the order of the
    "expected one of" lists in errors and of the docs' tables)."""
    found: dict[str, Key] = {}
    for item in dataclasses.fields(cls):
        spec = item.metadata.get(SCHEMA)
        if spec is None:
            continue  # position, name from the mapping key, …: not written in the layout
        default = spec.default
        if default is ABSENT and item.default is not MISSING:
            default = item.default
        if default is ABSENT and item.default_factory is not MISSING:
            default = item.default_factory()
        found[item.name] = Key(item.name, spec, default)
    return found


def key_names(cls: type) -> tuple[str, ...]:
    return tuple(keys(cls))


def required(cls: type) -> tuple[str, ...]:
    return tuple(name for name, key in keys(cls).items() if key.spec.required)


def alternatives(cls: type) -> tuple[str, ...]:
    return tuple(name for name, key in keys(cls).items() if key.spec.alternative)


def defaults(cls: type) -> dict[str, Any]:
    """The values of the keys a layout may leave out, for building `cls`."""
    return {
        name: key.default
        for name, key in keys(cls).items()
        if key.default is not ABSENT and not key.spec.required
    }


def default_words(key: Key) -> str | None:
    """The default as the docs write it (`10s`, `80%`, `false`), or None."""
    spec, value = key.spec, key.default
    if spec.default_doc is not None:
        return spec.default_doc
    if value is ABSENT or value is None or isinstance(value, (tuple, dict)):
        return None
    if spec.kind is Kind.DURATION:
        return f"`{format_duration(value)}`"
    if spec.kind is Kind.PERCENT:
        return f"`{value:g}%`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if isinstance(value, (int, float, str)) and value != "":
        return f"`{value}`"
    return None


def describe(key: Key) -> str:
    """The key's doc with its default, as the docs' tables and the JSON Schema say it."""
    words = default_words(key)
    return key.spec.doc if words is None else f"{key.spec.doc} (default: {words})"


def sections(root: type) -> list[type]:
    """Every section reachable from `root`, root first, each once, depth first."""
    found: list[type] = []

    def visit(cls: type) -> None:
        if cls in found:
            return
        found.append(cls)
        for key in keys(cls).values():
            spec = key.spec.item if key.spec.kind is Kind.LIST else key.spec
            if spec is not None and spec.section is not None:
                visit(spec.section)

    visit(root)
    return found
