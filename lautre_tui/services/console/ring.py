"""A console's stream in shared memory: written once by the holder, read by every spy.

Sent through each spy's socket, a flood was copied by the kernel once per spy into
it and once out of it: with 5 spies, most of the holder's CPU per MB. The holder
now writes each batch once into a ring of shared memory and tells the spies, on
their sockets, which bytes are new: 16 bytes a batch. The ring is an anonymous
memory file (memfd): no disk to write back, nothing left behind by a holder that
dies; each spy gets it over the socket it connected with (SCM_RIGHTS), so the
socket's permissions are the ring's, and sealed so that a spy can only read it.
It is a header and a circular buffer; positions count every byte since the
holder started, so a byte is at `HEADER.size + position % size`.

A spy reads what it was told about while the holder may already be writing over
it (it never waits for spies): the holder stores `intent`, where its write will
end, before it writes, and `written` after. A spy checks `intent` before and after
reading a range: more than `size` past the range's start, the range may be
overwritten and the spy has fallen behind. x86's store and load order make that
check sound; the bastion is x86-64. The ring's pages are given when it is made
(MAP_POPULATE): a page fault per 4 KB of a flood's first lap cost the writer
another 1 ms of CPU per MB. A held console costs its ring's size in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import stat
import struct

HEADER = struct.Struct("<8sQQQ")  # magic, size, intent, written
MAGIC = b"LTRING1\0"
INTENT_AT = 16  # offsets of the header's fields
WRITTEN_AT = 24
POSITION = struct.Struct("<Q")
MAX_SIZE = 1 << 30  # what a spy agrees to map
# Linux 5.1's seal: no new writable mapping (the holder's own stays). Older kernels
# refuse it, and the ring is then only as read-only as each spy's mapping.
F_SEAL_FUTURE_WRITE = getattr(fcntl, "F_SEAL_FUTURE_WRITE", 0x0010)


class RingWriter:
    """The holder's side: the memory file, mapped and written; `fd` goes to spies."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.written = 0
        self.fd = os.memfd_create("lautre-tui console", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(self.fd, HEADER.size + size)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            self._map = mmap.mmap(self.fd, HEADER.size + size, flags=flags)
            HEADER.pack_into(self._map, 0, MAGIC, size, 0, 0)
            seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, F_SEAL_FUTURE_WRITE)
        except BaseException:
            os.close(self.fd)
            raise

    def write(self, data: bytes | memoryview) -> tuple[int, int]:
        """Append `data`; the range it now holds."""
        start = self.written
        POSITION.pack_into(self._map, INTENT_AT, start + len(data))
        at, view = start, memoryview(data)
        while view:
            offset = at % self.size
            piece = view[: self.size - offset]
            self._map[HEADER.size + offset : HEADER.size + offset + len(piece)] = piece
            at += len(piece)
            view = view[len(piece) :]
        self.written = at
        POSITION.pack_into(self._map, WRITTEN_AT, at)
        return start, at

    def close(self) -> None:
        self._map.close()
        os.close(self.fd)


class RingReader:
    """A spy's side: the holder's memory file, mapped read-only."""

    def __init__(self, fd: int) -> None:
        """Maps the memory file `fd` (the caller closes it): one that can never shrink
        under the map (a read past its end would kill this process with SIGBUS)."""
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or not HEADER.size < size <= HEADER.size + MAX_SIZE:
            raise ValueError("not a console ring")
        try:
            sealed = fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_SHRINK
        except OSError:
            sealed = 0
        if not sealed:
            raise ValueError("a console ring that could shrink")
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        self._map = mmap.mmap(fd, size, flags=flags, prot=mmap.PROT_READ)
        magic, ring_size, _intent, _written = HEADER.unpack_from(self._map, 0)
        self.size = int(ring_size)
        if magic != MAGIC or size != HEADER.size + self.size or not self.size:
            self._map.close()
            raise ValueError("not a console ring")
        self._view = memoryview(self._map)

    def fresh(self, start: int) -> bool:
        """Is the range from `start` still unwritten over? (Asked before and after
        reading it.)"""
        intent = int(POSITION.unpack_from(self._map, INTENT_AT)[0])
        return intent - start <= self.size

    def pieces(self, start: int, end: int) -> list[memoryview]:
        """The range as one or two views into the ring (it may wrap), valid until the
        holder writes `size` bytes more: a reader copies what it keeps. A range that
        no ring holds is refused (ValueError)."""
        if not 0 <= start <= end <= start + self.size:
            raise ValueError(f"no ring holds {start}-{end}")
        found: list[memoryview] = []
        while start < end:
            offset = start % self.size
            length = min(end - start, self.size - offset)
            found.append(self._view[HEADER.size + offset : HEADER.size + offset + length])
            start += length
        return found

    def close(self) -> None:
        with contextlib.suppress(BufferError):  # a view still held: the map goes with it
            self._view.release()
            self._map.close()
