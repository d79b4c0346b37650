"""Typed reading of YAML nodes for the loader: each reader method takes a node and
the words that name it in an error, records `FILE:LINE:COL: message` instead of
raising, and gives None for a bad value so that the rest is still read."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from lautre_tui.model.durations import parse_duration
from lautre_tui.model.errors import LayoutError, Position, did_you_mean
from lautre_tui.model.names import host_problem, text_problem

E = TypeVar("E", bound=enum.Enum)
Entries = dict[str, tuple[yaml.Node, yaml.Node]]


class Reader:
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
            try:
                number = float(value)
            except OverflowError:  # an integer of hundreds of digits
                number = math.inf
            if math.isfinite(number):
                return number
            self.error(node, f"{what} must be a finite number, not {value!s:.20}")
            return None
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

    def percent(self, node: yaml.Node, what: str) -> float | None:
        """`80%` or `80`: a share of a rating, between 1 and 100."""
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        text = str(value).strip().removesuffix("%") if value is not None else ""
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if not 1 <= number <= 100:
            self.error(node, f"{what} must be a percentage such as 80%, not {value!r}")
            return None
        return number
