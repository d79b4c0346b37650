"""A console shared by the processes of a bastion: the holder feeds its spies.

The process holding a console's claim (see `backends.claims`) is the only one
with the port open. It listens on `consoles/HOST.sock` (0660, beside the claim)
and sends every byte it records in the transcript, event lines included, to
every spy connected there, as it records them: spies get the live stream, and
nothing they send ever reaches the port (there is no frame for it).

Frames are a kind byte and a 4-byte length: `R` a range of the console's bytes,
`J` a JSON object (hello, who, message, takeover and their answers).

The bytes themselves are in shared memory (`ring`): the holder writes each read
there once, in the thread that recorded it, while it is still in that core's
cache (copied later by the loop, a flood's bytes came from memory again), and
tells every spy the range that is new in an `R` frame. Those go at most one every
BATCH_SECONDS (at once after a quiet moment, so an echo is not delayed): during a
flood every wake-up of the holder's loop and of each spy carries hundreds of
kilobytes, so 5 spies cost the writer little CPU on a small machine. Nothing
waits for a spy: one that finds the range it is told already written over has
fallen RING_BYTES behind; it says so and joins again (at the live stream: a
resync). A spy that reads nothing at all for thousands of batches (STUCK_SPY_BYTES
of ranges waiting for it) is dropped and told why.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import pwd
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lautre_tui import locations
from lautre_tui.services.console.ring import RingWriter

SOCKET_MODE = 0o660  # the bastion's admin group connects; others nothing
HEADER = struct.Struct(">cI")
MAX_JSON = 64 * 1024
RING_BYTES = 32 * 1024 * 1024  # how far behind the writer a spy may fall (a flood's worth)
STUCK_SPY_BYTES = 64 * 1024  # of ranges unread by a spy: some 3,000 batches
BATCH_SECONDS = 0.01  # the stream goes to the spies at most this often
RANGE = struct.Struct(">QQ")  # an `R` frame: where the new bytes start and end in the ring
UNIX_PATH_MAX = 100
MAX_CONNECTIONS = 64  # spies and questions at once: a runaway script cannot take the
# holder's descriptors (its transcript and its port need some)
PEERCRED = struct.Struct("iII")  # SO_PEERCRED: pid, uid, gid of the connecting process
CLOSE_WAIT = 2.0  # for spies to take their farewell, then for the handlers to end
QUESTION_WAIT = 30.0  # a connection that is no spy and asks nothing that long is closed
NAME_CHARS = 64  # of a user, a source, a time a spy gives (a who answer stays small)
TEXT_CHARS = 300  # of a message
CAPPED = {"user": NAME_CHARS, "source": NAME_CHARS, "since": NAME_CHARS, "text": TEXT_CHARS}


def socket_path(consoles: Path, host: str) -> Path:
    return consoles / f"{host}.sock"


def frame(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def message(**fields: Any) -> bytes:
    return frame(b"J", json.dumps(fields).encode())


GREETING = message(type="ring")  # sent with the ring's descriptor


async def read_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """The next frame, or None at the end of the connection, or at a frame larger
    than any message (a peer announcing 4 GB would have them buffered)."""
    try:
        kind, size = HEADER.unpack(await reader.readexactly(HEADER.size))
        if size > MAX_JSON:
            return None
        return kind, await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError, struct.error):
        return None


def decode(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def reachable(path: Path) -> Iterator[str]:
    """A name for `path` that fits in a socket address (108 bytes): the path
    itself, or through its folder's descriptor when the state folder is deep."""
    if len(os.fsencode(path)) <= UNIX_PATH_MAX:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


@functools.lru_cache(maxsize=64)
def account_name(uid: int) -> str:
    """Once per uid: a directory (NSS, LDAP) that answers slowly stalls the loop once."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def peer_of(sock: socket.socket | None) -> tuple[int, str]:
    """The pid and account of the process at the other end, as the kernel says
    (SO_PEERCRED): the user name a spy gives is its own word ($USER, $SUDO_USER)."""
    if sock is None:
        return 0, ""
    try:
        pid, uid, _gid = PEERCRED.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size)
        )
    except (OSError, struct.error):
        return 0, ""  # unknown: names are shown as given
    return pid, account_name(uid)


def signed(user: str, account: str) -> str:
    """`admin1`, or `admin1 (unix account bob)` when the name it gave is not the
    account the kernel says it runs as."""
    return user if account in (user, "") else f"{user} (unix account {account})"


@dataclass(slots=True)
class Attendee:
    """Someone on a console: the writer (or a holder only watching) or a spy."""

    user: str
    source: str
    since: str
    mode: str  # "writer", "spy"
    pid: int = field(default_factory=os.getpid)
    account: str = field(default_factory=lambda: account_name(os.getuid()))
    last_active: float = field(default_factory=time.monotonic)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["idle"] = int(time.monotonic() - data.pop("last_active"))
        return data


Request = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


class ShareServer:
    """The holder's side: a Unix socket serving the console's stream to spies."""

    def __init__(self, path: Path, holder: Attendee, on_request: Request) -> None:
        self.path = path
        self.holder = holder
        self._on_request = on_request
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.spies: dict[asyncio.StreamWriter, Attendee] = {}
        self._ring: RingWriter | None = None
        self._ring_lock = threading.Lock()  # the recording thread writes it, the loop closes it
        self._told = 0  # where the ring's bytes the spies were told of end
        self._scheduled = False  # a batch is due (under the ring's lock)
        self._sent_at = 0.0  # when the last batch went (loop time)
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}  # and handlers
        self._answering: set[asyncio.Task[Any]] = set()  # handlers owing an answer
        self.closing = False  # the holder leaves (close, or its owner as it starts to)
        self._inode = 0

    async def start(self) -> None:
        """Listen, replacing whatever socket file a holder that ended left behind
        (we hold the claim: no live holder listens there)."""
        self._loop = asyncio.get_running_loop()
        locations.private_dir(self.path.parent)
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with reachable(temporary) as name:
                listener.bind(name)
            os.chmod(temporary, SOCKET_MODE)
            self._ring = RingWriter(RING_BYTES)
            os.replace(temporary, self.path)
            self._inode = os.stat(self.path).st_ino
            listener.listen(16)
            self._server = await asyncio.start_unix_server(self._serve, sock=listener)
        except BaseException:
            listener.close()
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            if self._ring is not None:
                self._ring.close()
                self._ring = None
            raise

    # -- the stream (from any thread: the port's reader writes the transcript) ----------

    def tap(self, data: bytes) -> None:
        loop = self._loop
        if loop is None or not self.spies:
            return
        with self._ring_lock:
            if self._ring is None:
                return
            self._ring.write(data)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed at exit
            loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        """Deliver now after a quiet moment, else when this batch's time has come."""
        assert self._loop is not None
        wait = self._sent_at + BATCH_SECONDS - self._loop.time()
        if wait <= 0:
            self._deliver()
        else:
            self._loop.call_later(wait, self._deliver)

    def _deliver(self) -> None:
        """What the ring holds since the spies were last told, to every spy."""
        with self._ring_lock:
            self._scheduled = False
            if self._ring is None:
                return
            start, end = self._told, self._ring.written
        if start == end:
            return
        self._told = end
        if self._loop is not None:
            self._sent_at = self._loop.time()
        told = frame(b"R", RANGE.pack(start, end))
        for writer in list(self.spies):
            if writer.is_closing():  # its descriptor may be closed, even reused
                self.spies.pop(writer, None)
            elif writer.transport.get_write_buffer_size() > STUCK_SPY_BYTES:
                self._drop(writer, "this spy read nothing for too long: it joins again")
            else:
                writer.write(told)

    def broadcast(self, **fields: Any) -> None:
        packet = message(**fields)
        for writer in list(self.spies):
            writer.write(packet)

    def attendees(self) -> list[dict[str, Any]]:
        return [self.holder.public(), *(spy.public() for spy in self.spies.values())]

    def _drop(self, writer: asyncio.StreamWriter, why: str) -> None:
        self.spies.pop(writer, None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            writer.write(message(type="bye", why=why))
        writer.close()

    # -- requests -------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: a spy (`hello`, then its stream) or a question. Who
        asks is the kernel's word (pid, account), added to every request."""
        if len(self._connections) >= MAX_CONNECTIONS:
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.write(message(type="bye", why=f"{MAX_CONNECTIONS} are connected already"))
            writer.close()
            return
        handler = asyncio.current_task()
        assert handler is not None
        self._connections[writer] = handler
        sock = writer.get_extra_info("socket")
        pid, account = peer_of(sock)
        if sock is not None:  # ranges are small: the kernel need not keep many for a spy
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STUCK_SPY_BYTES)
        try:
            self._hand_ring(writer)
            while (got := await self._next_frame(reader, writer)) is not None:
                kind, payload = got
                if kind != b"J":
                    continue  # a spy has nothing to say to the port
                request = decode(payload)
                for name, limit in CAPPED.items():  # what a peer says, as text of some length
                    request[name] = str(request.get(name, "?"))[:limit]
                if request.get("type") == "hello":
                    self.spies[writer] = Attendee(
                        user=request["user"],
                        source=request["source"],
                        since=request["since"],
                        mode="spy",
                        pid=pid,
                        account=account,
                    )
                    continue
                if request.get("type") == "active" and writer in self.spies:
                    self.spies[writer].last_active = time.monotonic()
                    continue
                self._answering.add(handler)
                try:
                    answer = await self._on_request({**request, "pid": pid, "account": account})
                finally:
                    self._answering.discard(handler)
                if answer is not None and not writer.is_closing():
                    writer.write(message(**answer))
                    await asyncio.wait_for(writer.drain(), CLOSE_WAIT)
        except (ConnectionError, RuntimeError, TimeoutError):
            pass
        finally:
            self.spies.pop(writer, None)
            writer.close()
            self._connections.pop(writer, None)

    async def _next_frame(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[bytes, bytes] | None:
        """A spy's next frame, whenever it comes; a question's within QUESTION_WAIT (a
        socket left open by a script must not hold one of the MAX_CONNECTIONS)."""
        if writer in self.spies:
            return await read_frame(reader)
        try:
            return await asyncio.wait_for(read_frame(reader), QUESTION_WAIT)
        except TimeoutError:
            return None

    def _hand_ring(self, writer: asyncio.StreamWriter) -> None:
        """The ring's descriptor, first thing on every connection (`client.connect`
        takes it before anything else is read); nothing else was written there yet."""
        ring, sock = self._ring, writer.get_extra_info("socket")
        if ring is None or sock is None:
            raise ConnectionError("no ring to hand")
        # Opened anew read-only: with it a spy can neither write the ring nor seal it.
        readable = os.open(f"/proc/self/fd/{ring.fd}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            with socket.socket(fileno=os.dup(sock.fileno())) as raw:
                socket.send_fds(raw, [GREETING], [readable])
        finally:
            os.close(readable)

    async def close(self, **farewell: Any) -> None:
        """Stop serving: spies are told `farewell` (why, and who took it). Nothing a
        peer does (reading nothing, asking at the same time) keeps it from ending:
        the claim is let go after it."""
        self.closing = True
        try:
            self._deliver()
            if self._server is not None:
                self._server.close()
                self._server = None
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    self.path.unlink()
            await self._say_farewell(message(**farewell))
            await self._end_connections()
        finally:
            with self._ring_lock:  # spies keep their own mapping of it while they need it
                ring, self._ring = self._ring, None
            if ring is not None:
                ring.close()

    async def _say_farewell(self, packet: bytes) -> None:
        spies, self.spies = list(self.spies), {}
        for writer in spies:
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.write(packet)

        async def drained(writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await writer.drain()

        if spies:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*map(drained, spies)), CLOSE_WAIT)

    async def _end_connections(self) -> None:
        """Every connection closed and its handler ended: one still pending when the
        loop stops would be cancelled, and asyncio (3.11) prints that as an error.
        Handlers still owing an answer (a take-over asks the holder to leave, so one
        of them is calling this) keep their connection until they have answered."""
        ending = {
            writer: task
            for writer, task in self._connections.items()
            if task not in self._answering
        }
        for writer in ending:
            writer.close()
        if not ending:
            return
        _done, stuck = await asyncio.wait(ending.values(), timeout=CLOSE_WAIT)
        for writer, task in ending.items():
            if task in stuck:  # it reads nothing: what waits for it is dropped
                writer.transport.abort()
        if stuck:
            await asyncio.wait(stuck, timeout=CLOSE_WAIT)
