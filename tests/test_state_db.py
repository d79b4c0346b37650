"""The shared database: modes, migrations, change detection, and bad state said
clearly with nothing deleted."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lautre_tui.services.state_db import FILE_MODE, StateDB, StateUnavailable

LOCKER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
"""


def test_created_0660_in_wal_with_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUTRE_TUI_STATE_DIR", str(tmp_path / "shared"))
    old = os.umask(0o022)
    try:
        db = StateDB()
        with db.transaction() as connection:
            connection.execute(
                "INSERT INTO acks (device, check_name, state, user, source, comment, sticky,"
                " created) VALUES ('fey', '', 'down', 'a', 'b', 'c', 0, 0)"
            )
    finally:
        os.umask(old)
    assert db.path == tmp_path / "shared" / "state.db"
    assert (tmp_path / "shared").stat().st_mode & 0o007 == 0  # nothing for others
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        assert (tmp_path / "shared" / name).stat().st_mode & 0o777 == FILE_MODE, name
    assert db.read("PRAGMA journal_mode")[0][0] == "wal"
    assert db.read("PRAGMA user_version")[0][0] >= 1
    db.close()


def test_version_changes_on_any_commit(tmp_path: Path) -> None:
    one, two = StateDB(tmp_path / "s.db"), StateDB(tmp_path / "s.db")
    seen_one, seen_two = one.version(), two.version()
    with two.transaction() as connection:
        connection.execute(
            "INSERT INTO acks (device, check_name, state, user, source, comment, sticky, created)"
            " VALUES ('fey', '', 'down', 'a', 'b', 'c', 0, 0)"
        )
    assert one.changed_since(seen_one)[0]
    assert two.changed_since(seen_two)[0]
    _, now = one.changed_since(seen_one)
    assert not one.changed_since(now)[0]
    one.close()
    two.close()


def test_not_a_database_is_said_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite at all, but someone's notes" * 100)
    before = path.read_bytes()
    with pytest.raises(StateUnavailable, match=r"state\.db.*not a usable SQLite database"):
        StateDB(path).version()
    assert path.read_bytes() == before


def test_folder_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.mkdir()
    with pytest.raises(StateUnavailable, match="not a regular file"):
        StateDB(path).version()
    assert path.is_dir()


def test_locked_too_long(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateDB(path).version()
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        db = StateDB(path, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StateUnavailable, match="locked by another process"), db.transaction():
            pass
        assert time.monotonic() - started >= 0.25
    finally:
        assert locker.stdin is not None
        locker.stdin.close()
        locker.wait(10)
    assert path.stat().st_size > 0


def test_full(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    pages = db.read("PRAGMA page_count")[0][0]
    db.connection().execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StateUnavailable, match="full"), db.transaction() as connection:
        connection.execute(
            "INSERT INTO snapshots VALUES (1, 'fey', 'x', 'OK', ?)", ("x" * 100_000,)
        )
    db.close()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become nobody")
def test_read_only_for_another_user(tmp_path: Path) -> None:
    """A child run as `nobody`: the file is 0660 root's, nobody is not in the group."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)  # nobody may enter and create -shm, but not write the file
    db = StateDB(folder / "state.db")
    db.version()
    db.close()
    size = (folder / "state.db").stat().st_size
    tmp_path.chmod(0o755)
    code = (
        "import sys; from pathlib import Path\n"
        "from lautre_tui.services.state_db import StateDB, StateUnavailable\n"
        "db = StateDB(Path(sys.argv[1]))\n"
        "try:\n"
        '    with db.transaction() as c: c.execute("DELETE FROM acks")\n'
        "except StateUnavailable as e: print(e); sys.exit(1)\n"
    )
    repo = str(Path(__file__).resolve().parent.parent)
    result = subprocess.run(
        [
            "setpriv",
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--clear-groups",
            sys.executable,
            "-c",
            code,
            str(folder / "state.db"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": repo},
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "state.db cannot be used" in result.stdout
    assert (folder / "state.db").stat().st_size == size
    assert sqlite3.connect(folder / "state.db").execute("PRAGMA user_version").fetchone()[0] >= 1


def test_a_newer_schema_is_refused_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateDB(path).version()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StateUnavailable, match="schema 99, newer than this lautre-tui"):
        StateDB(path).version()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
