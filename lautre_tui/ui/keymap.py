"""Admins rebind keys in `$XDG_CONFIG_HOME/lautre-tui/keymap.yaml` (binding id: keys),
with no code: every binding of the app carries an id for this."""

from __future__ import annotations

from pathlib import Path

import yaml

from lautre_tui.locations import config_dir


def keymap_path() -> Path:
    return config_dir() / "keymap.yaml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The keymap (id -> comma-separated keys) and the problems found reading it.

    A missing file is no problem; a bad one is reported and ignored, never fatal.
    """
    path = path if path is not None else keymap_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return {}, [f"{path}: ignored: {error}"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{path}: ignored: expected a mapping of binding id: keys"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in data.items():
        if isinstance(binding_id, str) and isinstance(keys, str) and keys.strip():
            keymap[binding_id] = keys
        else:
            problems.append(f"{path}: ignored entry {binding_id!r}: expected `id: keys`")
    return keymap, problems
