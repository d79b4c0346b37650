"""Loaded layouts kept for the next start, so that the rack's first paint does not wait
for PyYAML: its import and L'Autre Net's layout take about 20 ms, a 1000-device layout
150 ms more.

One file per layout path, in the user's own cache folder. It starts with all that the
result depends on: the layout's bytes (compared whole), its resolved path (relative
paths in it), `$HOME` (`~` in paths), this package's version and its model's sources.
The result follows, pickled. Anything amiss (no file, another layout, other code, a
corrupt or foreign file) reads the YAML again: the cache can make a start slower,
never different. Unpickling runs code, so the folder and the file must be this
user's and writable by no one else, as Python trusts its own `__pycache__`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
import zlib
from pathlib import Path
from typing import Any

from lautre_tui import __version__
from lautre_tui.model.layout_file import LoadResult, read_file, unreadable

FORMAT = 1  # of the cache file itself
MODEL_DIR = Path(__file__).resolve().parent


def load_layout_cached(path: Path, folder: Path) -> LoadResult:
    """`load_layout(path)`, from `folder` when it holds this very layout's result."""
    file = str(path)
    try:
        data = read_file(path)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return unreadable(file, error)
    from_cache = None
    try:
        key = cache_key(file, data)
        entry = folder / f"{zlib.crc32(key[3].encode()):08x}.pickle"
        from_cache = _read(entry, key)
    except OSError:  # the package's own folder unreadable: no cache, the YAML
        key = None
    if from_cache is not None:
        return from_cache
    from lautre_tui.model.loader import load_text  # PyYAML, only now

    result = load_text(text, file)
    if result.ok and key is not None:
        _write(entry, key, result)
    return result


def cache_key(file: str, data: bytes) -> tuple[Any, ...]:
    """Everything the loaded layout depends on, the layout's bytes last."""
    sources = sorted(
        (entry.name, info.st_size, info.st_mtime_ns)
        for entry in os.scandir(MODEL_DIR)
        if entry.name.endswith(".py")
        for info in [entry.stat(follow_symlinks=False)]
    )
    resolved = str(Path(file).expanduser().resolve())
    return (FORMAT, __version__, tuple(sources), resolved, os.environ.get("HOME", ""), data)


def _private(info: os.stat_result) -> bool:
    """Ours, and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(entry: Path, key: tuple[Any, ...]) -> LoadResult | None:
    try:  # not blocking: a FIFO put there must not hang the start
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(fd)
            if not (stat.S_ISREG(info.st_mode) and _private(info)):
                return None
            if not _private(os.stat(entry.parent)):
                return None
            if pickle.load(file) != key:
                return None
            result = pickle.load(file)
        except Exception:  # truncated, corrupt, classes renamed since: read the YAML
            return None
    return result if isinstance(result, LoadResult) else None


def _write(entry: Path, key: tuple[Any, ...], result: LoadResult) -> None:
    """Best effort: a home that is read-only or full only costs the next start time."""
    temporary = entry.with_name(f".{entry.name}.{os.getpid()}")
    try:
        entry.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        entry.parent.mkdir(mode=0o700, exist_ok=True)
        if not _private(os.stat(entry.parent)):
            return
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as file:
            pickle.dump(key, file, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(result, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except Exception:  # a file where a folder should be, no room, a result pickle refuses
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
