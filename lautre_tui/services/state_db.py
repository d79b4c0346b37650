"""The state that the admins of a bastion share: one SQLite database.

`state.db` in the state folder (`$LAUTRE_TUI_STATE_DIR`, the bastion's shared
folder, else `$XDG_STATE_HOME/lautre-tui/`), in WAL mode so that several apps and
CLI commands read while one writes, with a `busy_timeout` so that writers queue
instead of failing, and a schema versioned by `PRAGMA user_version`.

The database, its `-wal` and `-shm` files are 0660: the admins' group writes
them, others nothing. A database that cannot be used (not a database, read-only,
locked for too long, a full disk, a folder in its place) raises
`StateUnavailable` naming the file; it is never deleted or created again over
what is there. `version()` changes whenever anyone commits, cheaply enough to be
polled every second.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lautre_tui import locations

FILE_MODE = 0o660
DB_NAME = "state.db"
BUSY_TIMEOUT = 5.0  # seconds a writer waits for another before saying "locked"

# Each entry takes the schema from version N to N+1; never edit one that shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE windows (
        id INTEGER PRIMARY KEY,
        batch INTEGER NOT NULL,          -- the id of the first row of the same `start`
        device TEXT NOT NULL,
        root TEXT NOT NULL,              -- the device the admin named
        user TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        started REAL NOT NULL,
        ends REAL NOT NULL,
        ended REAL,                      -- NULL while open
        end_note TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX windows_one_open ON windows(device) WHERE ended IS NULL;
    CREATE INDEX windows_batch ON windows(batch);
    CREATE TABLE snapshots (
        batch INTEGER NOT NULL,
        device TEXT NOT NULL,
        check_name TEXT NOT NULL,
        state TEXT NOT NULL,
        output TEXT NOT NULL,
        PRIMARY KEY (batch, device, check_name)
    ) WITHOUT ROWID;
    CREATE TABLE acks (
        id INTEGER PRIMARY KEY,
        device TEXT NOT NULL,
        check_name TEXT NOT NULL,        -- '' for the host itself (down, unreachable…)
        state TEXT NOT NULL,             -- the state acknowledged
        user TEXT NOT NULL,
        source TEXT NOT NULL,
        comment TEXT NOT NULL,
        sticky INTEGER NOT NULL,
        created REAL NOT NULL,
        expires REAL,
        ended REAL,
        end_note TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX acks_one_open ON acks(device, check_name) WHERE ended IS NULL;
    """,
    """
    CREATE TABLE state_changes (
        id INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        device TEXT NOT NULL,
        check_name TEXT NOT NULL,        -- '' for the device's own state
        old TEXT NOT NULL,               -- '' when first seen
        new TEXT NOT NULL
    );
    CREATE INDEX state_changes_last ON state_changes(device, check_name, id);
    """,
    """
    CREATE TABLE icinga_downtimes (
        window_id INTEGER NOT NULL,      -- windows.id
        name TEXT NOT NULL,              -- a downtime's name, as Icinga 2 returned it
        PRIMARY KEY (window_id, name)
    ) WITHOUT ROWID;
    """,
)


class StateUnavailable(Exception):
    """The shared database cannot be used; `str()` names the file and says why."""


def default_path() -> Path:
    return locations.state_dir() / DB_NAME


def _reason(error: BaseException, timeout: float) -> str:
    text = str(error)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return f"it is not a usable SQLite database ({text}); it was left as it is"
    if "locked" in lowered or "busy" in lowered:
        return f"it stayed locked by another process for more than {timeout:g} s"
    if "readonly" in lowered or "read-only" in lowered:
        return f"it is read-only for this user ({text})"
    if "full" in lowered:
        return f"the disk (or the database's size limit) is full ({text})"
    if "unable to open" in lowered:
        return f"it cannot be opened ({text}): check the folder's and the file's permissions"
    return text or error.__class__.__name__


class StateDB:
    """One connection to the shared database, usable from one thread at a time
    (calls are serialised by a lock, so the app's workers may share it)."""

    def __init__(self, path: Path | None = None, *, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path if path is not None else default_path()
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._writes = 0  # our own commits: data_version only counts others'
        self._modes_done = False

    # -- opening ----------------------------------------------------------------

    def unavailable(self, error: BaseException) -> StateUnavailable:
        return StateUnavailable(
            f"the shared state {self.path} cannot be used: {_reason(error, self.timeout)}"
        )

    def _create_file(self) -> None:
        """Create an empty database file 0660 (never over an existing one)."""
        try:
            locations.private_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            return
        except OSError as error:
            raise self.unavailable(error) from error
        try:
            os.fchmod(fd, FILE_MODE)  # the umask took group write away
        finally:
            os.close(fd)

    def connection(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        with self._lock:
            if self._connection is not None:
                return self._connection
            try:
                info = os.stat(self.path)
            except FileNotFoundError:
                self._create_file()
            except OSError as error:
                raise self.unavailable(error) from error
            else:
                if not stat.S_ISREG(info.st_mode):
                    raise StateUnavailable(
                        f"the shared state {self.path} cannot be used: it is not a regular "
                        "file; it was left as it is"
                    )
            try:
                connection = sqlite3.connect(
                    self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as error:
                raise self.unavailable(error) from error
            try:
                connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"cannot switch to WAL (journal_mode={mode})")
                connection.execute("PRAGMA synchronous = NORMAL")
                self._migrate(connection)
            except sqlite3.Error as error:
                connection.close()
                raise self.unavailable(error) from error
            except StateUnavailable:
                connection.close()
                raise
            self._connection = connection
            self._fix_modes()
            return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == len(MIGRATIONS):
            return
        if version > len(MIGRATIONS):
            raise StateUnavailable(
                f"the shared state {self.path} has schema {version}, newer than this "
                f"lautre-tui knows ({len(MIGRATIONS)}): upgrade lautre-tui"
            )
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _fix_modes(self) -> None:
        """-wal and -shm as 0660 (SQLite copies the database's mode; the umask may not)."""
        if self._modes_done:
            return
        done = True
        for suffix in ("-wal", "-shm"):
            side = Path(f"{self.path}{suffix}")
            try:
                if side.stat().st_mode & 0o777 != FILE_MODE and side.stat().st_uid == os.getuid():
                    os.chmod(side, FILE_MODE)
            except FileNotFoundError:
                done = False
            except OSError:
                pass  # another admin's file: theirs to fix
        self._modes_done = done

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- using ------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (BEGIN IMMEDIATE): writers queue on
        busy_timeout instead of failing half-way; any error rolls back."""
        with self._lock:
            connection = self.connection()
            self._begin(connection)
            try:
                yield connection
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise self.unavailable(error) from error
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise
            self._writes += 1
            self._fix_modes()

    def _begin(self, connection: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, retried every millisecond or two until `timeout`.

        SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries,
        so a writer that found the lock taken waits tens of milliseconds for a lock
        held for one; polling it ourselves keeps the queue short (p99 under 20
        writers: see benchmarks/maintenance.py)."""
        deadline = time.monotonic() + self.timeout
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    busy = "locked" in str(error) or "busy" in str(error)
                    if not busy or time.monotonic() >= deadline:
                        raise self.unavailable(error) from error
                    time.sleep(random.uniform(0.0005, 0.002))
                except sqlite3.Error as error:
                    raise self.unavailable(error) from error
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    def read(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            connection = self.connection()
            try:
                return list(connection.execute(sql, parameters).fetchall())
            except sqlite3.Error as error:
                raise self.unavailable(error) from error

    def data_version(self) -> int:
        """SQLite's counter of commits by *other* connections (PRAGMA data_version)."""
        return int(self.read("PRAGMA data_version")[0][0])

    def version(self) -> tuple[int, int]:
        """Changes whenever anyone, this connection included, commits."""
        return (self.data_version(), self._writes)

    def changed_since(self, version: tuple[int, int] | None) -> tuple[bool, tuple[int, int]]:
        now = self.version()
        return (now != version, now)
