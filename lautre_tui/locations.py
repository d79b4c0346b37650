"""Every file and folder lautre-tui reads or writes by default, in one place.

The XDG base directories (the bastion is Debian), with environment overrides so
that tests, the demo and admins sharing a bastion can point them elsewhere. The
specification's three lines are written here: platformdirs, for them, cost 5 ms
of every start.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "lautre-tui"
LAYOUT_ENV = "LAUTRE_TUI_LAYOUT"
STATE_ENV = "LAUTRE_TUI_STATE_DIR"


def xdg_dir(variable: str, default: str) -> Path:
    """`$VARIABLE/lautre-tui`, else `~/DEFAULT/lautre-tui`; a relative value is
    ignored, as the XDG specification says."""
    value = os.environ.get(variable, "").strip()
    base = Path(value) if os.path.isabs(value) else Path.home() / default
    return base / APP_NAME


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/lautre-tui` (`~/.config/lautre-tui`)."""
    return xdg_dir("XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """Transcripts, audit log and console locks: `$LAUTRE_TUI_STATE_DIR` if set,
    else `$XDG_STATE_HOME/lautre-tui` (`~/.local/state/lautre-tui`)."""
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override).expanduser()
    return xdg_dir("XDG_STATE_HOME", ".local/state")


def cache_dir() -> Path:
    """What can be made again, kept to start faster (loaded layouts):
    `$XDG_CACHE_HOME/lautre-tui` (`~/.cache/lautre-tui`), the user's alone."""
    return xdg_dir("XDG_CACHE_HOME", ".cache")


def shipped_layout() -> Path:
    """L'Autre Net's own layout, installed inside the package (or, when run from a
    source checkout with `python -m lautre_tui`, the checkout's `layouts/`)."""
    from importlib import resources  # 5 ms, and only needed without a layout named

    try:
        return Path(str(resources.files("lautre_tui.layouts").joinpath("lautre.yaml")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "layouts" / "lautre.yaml"


def find_layout(explicit: str | None) -> Path:
    """The layout to load: `--layout`, then `$LAUTRE_TUI_LAYOUT`, then the user's
    `layout.yaml` in the config folder, then the shipped one."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(LAYOUT_ENV)
    if from_env:
        return Path(from_env).expanduser()
    user_layout = config_dir() / "layout.yaml"
    if user_layout.is_file():
        return user_layout
    return shipped_layout()


PRIVATE_DIR_MODE = 0o770  # the bastion's admin group shares the state folder; others nothing


def private_dir(path: Path) -> Path:
    """Create `path` and whatever parents it lacks with no access for other users
    (mkdir's `parents=True` would give the parents the umask's usual 0755)."""
    missing: list[Path] = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    return path if not missing else missing[0]
