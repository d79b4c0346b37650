"""The layout's JSON Schema (draft 2020-12), derived from the key declarations.

Editors use it through the `# yaml-language-server: $schema=…` line at the top of
a layout to complete keys and flag wrong types while the admin types. It says
what one key may hold; what ties several keys or several devices together
(references, overlaps, cycles) is left to `lautre-tui validate`.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from lautre_tui.model.durations import DURATION_PATTERN
from lautre_tui.model.layout import Layout
from lautre_tui.model.names import NAME_PATTERN
from lautre_tui.model.schema import (
    ABSENT,
    Key,
    Kind,
    Spec,
    alternatives,
    describe,
    keys,
    required,
    sections,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "layout.schema.json"  # next to the shipped layouts, in `layouts/`
# Names that become file names: the loader's NAME_PATTERN, and no `..` anywhere.
NAME_REGEX = rf"^(?!.*\.\.)(?:{NAME_PATTERN.pattern})$"
PERCENT_REGEX = r"^\s*\d+(\.\d+)?\s*%?\s*$"
NOT_BLANK = r"\S"


def json_schema() -> dict[str, Any]:
    """The whole schema: the top level, and one `$defs` entry per section."""
    root, *nested = sections(Layout)
    return {
        "$schema": DRAFT,
        "title": "lautre-tui layout",
        "description": "One site's racks, devices, power strips, console servers and "
        "checks (docs/layout.md). `lautre-tui validate` checks the rest.",
        **_object(root),
        "$defs": {cls.__name__: _object(cls) for cls in nested},
    }


def schema_text() -> str:
    """The schema as `lautre-tui schema` prints it and the repository carries it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _object(cls: type) -> dict[str, Any]:
    declared = keys(cls)
    described: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or cls.__name__).split("\n\n")[0].replace("\n", " "),
        "properties": {name: _property(key) for name, key in declared.items()},
        "additionalProperties": False,
    }
    if required(cls):
        described["required"] = list(required(cls))
    if alternatives(cls):
        described["anyOf"] = [{"required": [name]} for name in alternatives(cls)]
    needs = {name: [key.spec.needs] for name, key in declared.items() if key.spec.needs}
    if needs:
        described["dependentRequired"] = needs
    return described


def _property(key: Key) -> dict[str, Any]:
    described = {"description": describe(key), **_value(key.spec)}
    default = _json_default(key.default)
    if default is not None:
        described["default"] = default
    return described


def _value(spec: Spec) -> dict[str, Any]:
    """What one value of `spec` may be, in JSON Schema's words."""
    kind = spec.kind
    if kind is Kind.TEXT:
        if spec.values:
            return {"enum": list(spec.values)}
        if spec.pattern is not None:
            return {"type": "string", "pattern": spec.pattern}
        text = {"type": ["string", "number"], "pattern": NOT_BLANK}  # numbers read as text
        return _nullable(text, spec)
    if kind in (Kind.HOST, Kind.PATH):
        return {"type": "string", "pattern": NOT_BLANK}
    if kind in (Kind.INTEGER, Kind.NUMBER):
        number: dict[str, Any] = {"type": kind.value}
        if spec.values:
            return {**number, "enum": list(spec.values)}
        if spec.low is not None:
            number["minimum"] = spec.low
        if spec.high is not None:
            number["maximum"] = spec.high
        return number
    if kind is Kind.BOOLEAN:
        return {"type": "boolean"}
    if kind is Kind.DURATION:
        seconds = {"type": "number", "minimum": spec.low, "maximum": spec.high}
        return {"anyOf": [seconds, {"type": "string", "pattern": DURATION_PATTERN.pattern}]}
    if kind is Kind.PERCENT:
        share = {"type": "number", "minimum": spec.low, "maximum": spec.high}
        return {"anyOf": [share, {"type": "string", "pattern": PERCENT_REGEX}]}
    if kind is Kind.CHOICE and spec.choices is not None:
        return {"enum": [member.value for member in spec.choices]}
    if kind is Kind.LIST and spec.item is not None:
        return _nullable({"type": "array", "items": _value(spec.item)}, spec)
    if kind is Kind.SECTION and spec.section is not None:
        return {"$ref": f"#/$defs/{spec.section.__name__}"}
    if kind is Kind.NAMED and spec.section is not None:
        mapping = {
            "type": "object",
            "propertyNames": {"pattern": NAME_REGEX},
            "additionalProperties": {"$ref": f"#/$defs/{spec.section.__name__}"},
        }
        return _nullable(mapping, spec)
    raise TypeError(f"no JSON Schema for {spec}")  # a declaration of a new kind


def _nullable(described: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """`key:` with nothing after it is YAML's null: allowed where the loader allows it."""
    if not spec.nullable:
        return described
    kinds = described["type"]
    return {**described, "type": [*(kinds if isinstance(kinds, list) else [kinds]), "null"]}


def _json_default(value: Any) -> Any:
    """A default as JSON, or None when it is not a plain value (absent, none, a section)."""
    if value is ABSENT:
        return None
    if isinstance(value, enum.Enum):
        return value.value
    return value if isinstance(value, (bool, int, float, str)) else None
