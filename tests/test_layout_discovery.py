"""Which layout the app loads, and what it says when it cannot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lautre_tui.locations import cache_dir, config_dir, find_layout, shipped_layout, state_dir
from tests.conftest import LAUTRE_LAYOUT


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_layout(None) == shipped_layout()
    assert shipped_layout().read_text() == LAUTRE_LAYOUT.read_text()
    user = tmp_path / "config" / "lautre-tui" / "layout.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("site: mine\n")
    assert find_layout(None) == user
    monkeypatch.setenv("LAUTRE_TUI_LAYOUT", str(tmp_path / "env.yaml"))
    assert find_layout(None) == tmp_path / "env.yaml"
    assert find_layout(str(tmp_path / "explicit.yaml")) == tmp_path / "explicit.yaml"


def test_the_app_refuses_a_layout_it_cannot_show(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    missing = tmp_path / "missing.yaml"
    done = subprocess.run(
        [*cli, "--layout", str(missing)], capture_output=True, text=True, env=cli_env, check=False
    )
    assert done.returncode == 1
    assert f"{missing}:1:1: cannot read: No such file or directory" in done.stderr
    assert f"{missing} has errors: fix them first" in done.stderr
    assert "Traceback" not in done.stderr


def test_xdg_folders_follow_the_specification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" / "lautre-tui"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the spec says
    assert cache_dir() == tmp_path / ".cache" / "lautre-tui"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert state_dir() == tmp_path / ".local" / "state" / "lautre-tui"
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    assert config_dir() == tmp_path / ".config" / "lautre-tui"
