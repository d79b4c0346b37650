"""The loaded-layout cache: the same result as reading the YAML, never a stale one,
and nothing read from a file that another user could have written."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from lautre_tui.model.layout_cache import cache_key, load_layout_cached
from lautre_tui.model.layout_file import LoadResult
from lautre_tui.model.loader import load_layout
from tests.conftest import LAUTRE_LAYOUT, REPO

# A fresh interpreter loads the layout through the cache and says whether PyYAML came in.
PROBE = """
import sys
from pathlib import Path
from lautre_tui.model.layout_cache import load_layout_cached
result = load_layout_cached(Path(sys.argv[1]), Path(sys.argv[2]))
print(result.layout.site if result.layout else result.errors, "yaml" in sys.modules)
"""


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle"))


def copy_of_lautre(tmp_path: Path) -> Path:
    layout = tmp_path / "layout.yaml"
    layout.write_bytes(LAUTRE_LAYOUT.read_bytes())
    return layout


def test_a_second_start_reads_no_yaml_and_gets_the_same_layout(tmp_path: Path) -> None:
    layout, cache = copy_of_lautre(tmp_path), tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    runs = [
        subprocess.run(
            [sys.executable, "-c", PROBE, str(layout), str(cache)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [["L'Autre", "Net", "True"], ["L'Autre", "Net", "False"]]
    assert load_layout_cached(layout, cache) == load_layout(layout)
    assert [oct(path.stat().st_mode & 0o777) for path in entries(cache)] == ["0o600"]
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_a_changed_layout_is_read_again_even_with_the_same_size_and_time(
    tmp_path: Path,
) -> None:
    layout, cache = copy_of_lautre(tmp_path), tmp_path / "cache"
    first = load_layout_cached(layout, cache)
    assert first.layout is not None and first.layout.site == "L'Autre Net"
    stat = layout.stat()
    text = layout.read_text().replace("site: L'Autre Net", "site: L'Autre Nez", 1)
    layout.write_text(text)
    os.utime(layout, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = load_layout_cached(layout, cache)
    assert second.layout is not None and second.layout.site == "L'Autre Nez"
    assert len(entries(cache)) == 1  # one entry per layout path, replaced


def test_another_home_is_another_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`~` in the layout's paths (known_hosts, identity files) is the home of the run."""
    layout, cache = copy_of_lautre(tmp_path), tmp_path / "cache"
    load_layout_cached(layout, cache)
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    assert load_layout_cached(layout, cache) == load_layout(layout)


def test_a_layout_with_errors_is_never_kept(tmp_path: Path) -> None:
    layout, cache = tmp_path / "bad.yaml", tmp_path / "cache"
    layout.write_text("site: x\nracks: 3\n")
    for _ in range(2):
        assert load_layout_cached(layout, cache).errors
    assert entries(cache) == []


def test_an_unreadable_layout_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = load_layout_cached(tmp_path / "missing.yaml", tmp_path / "cache")
    assert result.layout is None
    assert "cannot read" in result.errors[0].message


def forge(layout: Path, cache: Path) -> Path:
    """Make the cache's entry for `layout` say another site, under the right key."""
    load_layout_cached(layout, cache)
    (entry,) = entries(cache)
    real = load_layout(layout)
    assert real.layout is not None
    with entry.open("wb") as file:
        pickle.dump(cache_key(str(layout), layout.read_bytes()), file)
        pickle.dump(replace(real, layout=replace(real.layout, site="forged")), file)
    return entry


def site(result: LoadResult) -> str:
    assert result.layout is not None
    return result.layout.site


def test_an_entry_is_used_only_from_a_private_file_in_a_private_folder(tmp_path: Path) -> None:
    layout, cache = copy_of_lautre(tmp_path), tmp_path / "cache"
    entry = forge(layout, cache)
    assert site(load_layout_cached(layout, cache)) == "forged"  # what the checks guard
    entry.chmod(0o620)
    assert site(load_layout_cached(layout, cache)) == "L'Autre Net"
    assert entry.stat().st_mode & 0o777 == 0o600  # written again, ours alone
    forge(layout, cache)
    cache.chmod(0o770)
    assert site(load_layout_cached(layout, cache)) == "L'Autre Net"


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated"])
def test_a_damaged_entry_is_read_again(tmp_path: Path, damage: str) -> None:
    layout, cache = copy_of_lautre(tmp_path), tmp_path / "cache"
    load_layout_cached(layout, cache)
    (entry,) = entries(cache)
    data = entry.read_bytes()
    damaged = {"empty": b"", "garbage": b"\x80\x05not a pickle", "truncated": data[:-100]}
    entry.write_bytes(damaged[damage])
    assert load_layout_cached(layout, cache) == load_layout(layout)
    assert entry.read_bytes() == data


def test_a_cache_that_cannot_be_used_never_stops_the_start(tmp_path: Path) -> None:
    """A file where the folder should be, a FIFO where an entry should be (opened
    without waiting for a writer): the layout is read from YAML, as without a cache."""
    layout = copy_of_lautre(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    assert load_layout_cached(layout, blocked / "layouts") == load_layout(layout)
    cache = tmp_path / "cache"
    load_layout_cached(layout, cache)
    (entry,) = entries(cache)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    assert load_layout_cached(layout, cache) == load_layout(layout)  # and it returned
