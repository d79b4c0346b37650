"""Admins rebind keys in `$XDG_CONFIG_HOME/lautre-tui/keymap.yaml` (binding id: keys),
with no code: every binding of the app carries an id for this.

A bad entry is reported with its FILE:LINE and left out; the rest of the file
still applies. Nothing in the file is ever fatal: a keymap is a convenience.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from lautre_tui.locations import config_dir
from lautre_tui.model.errors import did_you_mean


def keymap_path() -> Path:
    return config_dir() / "keymap.yaml"


def load_keymap(
    path: Path | None = None, known: Collection[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """The keymap (id -> comma-separated keys) and the problems found reading it.

    `known`: the binding ids of the screens loaded so far; an id of theirs that is
    not among them is reported (a typo would otherwise silently rebind nothing)."""
    path = path if path is not None else keymap_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as error:
        return {}, [f"{path}: ignored: {error}"]
    import yaml  # only when there is a keymap: start-up need not wait for PyYAML

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        return {}, [f"{path}: ignored: {error}"]
    if root is None:
        return {}, []
    if not isinstance(root, yaml.MappingNode):
        return {}, [f"{path}: ignored: expected a mapping of binding id: keys"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for key_node, value_node in root.value:
        where = f"{path}:{key_node.start_mark.line + 1}"
        binding_id, keys = key_node.value, value_node.value
        if not isinstance(key_node, yaml.ScalarNode) or not isinstance(value_node, yaml.ScalarNode):
            problems.append(f"{where}: ignored entry: expected `id: keys`")
        elif binding_id not in known and _prefix(binding_id) in {_prefix(k) for k in known}:
            problems.append(
                f"{where}: unknown binding id {binding_id!r}{did_you_mean(binding_id, known)}"
            )
        elif not keys.strip() or any(
            part.strip() == "" or " " in part.strip() for part in keys.split(",")
        ):
            problems.append(f"{where}: {binding_id}: {keys!r} is not a list of keys (a,ctrl+b)")
        else:
            keymap[binding_id] = keys
    return keymap, problems


def _prefix(binding_id: str) -> str:
    return binding_id.split(".", 1)[0]


def binding_ids(app: object) -> set[str]:
    """Every binding id an admin may rebind: the app's and its screens' and widgets'
    classes' BINDINGS (every subclass of Textual's DOMNode loaded so far)."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    ids: set[str] = set()
    pending: list[type] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("lautre_tui."):
            ids |= {b.id for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding) and b.id}
    return ids
