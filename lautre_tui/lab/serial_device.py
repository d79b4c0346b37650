"""A device's serial console as the lab simulates it.

What an admin meets on a real line: the boot log when the device powers on, a
`login:` prompt, a small shell after login (user root, any password: the lab has
no secrets to protect), echo, Magic SysRq after a BREAK (`h` help, `b` reboot,
`s` sync, `u` remount read-only), and garbage when the two ends disagree on the
baud rate. Also `flood N`, a deterministic burst of N bytes followed by its
sha256, for the console benchmark, and `garble`, what line noise sends a
terminal (CSI sequences with too many or too long parameters, stray bytes).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable

from lautre_tui.lab.world import PowerEvent, PowerEventKind, World

SYSRQ_HELP = (
    "SysRq : HELP : loglevel(0-9) reboot(b) crash(c) terminate-all-tasks(e) "
    "memory-full-oom-kill(f) kill-all-tasks(i) thaw-filesystems(j) sak(k) "
    "show-backtrace-all-active-cpus(l) show-memory-usage(m) nice-all-RT-tasks(n) "
    "poweroff(o) show-registers(p) show-all-timers(q) unraw(r) sync(s) "
    "show-task-states(t) unmount(u) show-blocked-tasks(w)"
)
SYSRQ = {
    "h": [SYSRQ_HELP],
    "s": ["SysRq : Emergency Sync", "Emergency Sync complete"],
    "u": ["SysRq : Emergency Remount R/O", "Emergency Remount complete"],
    "b": ["SysRq : Resetting"],
}
BOOT_LOG = [
    "Linux version 2.6.26-2-686-bigmem (Debian 2.6.26-25lenny1) (gcc version 4.1.3)",
    "BIOS-provided physical RAM map:",
    "Kernel command line: root=/dev/md0 ro console=tty0 console=ttyS0,{baud}n8",
    "Console: colour VGA+ 80x25",
    "console [ttyS0] enabled",
    "Checking 'hlt' instruction... OK.",
    "NET: Registered protocol family 2",
    "md: md0 stopped.",
    "md0: active with 2 out of 2 mirrors",
    "EXT3-fs: mounted filesystem with ordered data mode.",
    "INIT: version 2.86 booting",
    "Starting the system activity data collector: sadc.",
    "Starting OpenBSD Secure Shell server: sshd.",
    "INIT: Entering runlevel: 2",
    "",
    "Debian GNU/Linux 5.0 {name} ttyS0",
    "",
]


GARBLE = b"".join(
    [
        b"\x1b[1;2;3;4r",  # margins with four parameters
        b"\x1b[" + b";".join(b"%d" % n for n in range(1, 21)) + b"H",  # position with 20
        b"\x1b[" + b"9" * 5000 + b"A",  # a parameter of 5000 digits
        b"\x1b]0;" + b"x" * 300 + b"\x07",  # a title no one asked for
        bytes(range(256)),
        b"\r\ngarbled\r\n",
    ]
)


@functools.lru_cache(maxsize=1)
def flood(count: int) -> bytes:
    """`count` bytes of printable lines, the same every time; the last one is kept
    (making a flood of megabytes, fresh memory, cost the lab more CPU than sending it,
    and delayed its first byte)."""
    pattern = b"".join(
        b"%08d lautre-tui console flood 0123456789abcdefghijklm\r\n" % n for n in range(1000)
    )
    repeated = pattern * (count // len(pattern) + 1)
    return repeated[:count]


@functools.lru_cache(maxsize=16)
def flood_sha256(count: int) -> str:
    """The hex sha256 the lab prints after `flood count` (hashing was the rest of the
    delay before a flood's first byte)."""
    return hashlib.sha256(flood(count)).hexdigest()


class SerialDevice:
    """The far end of one console port; `send` writes towards the admin."""

    def __init__(self, name: str, baud: int, world: World, send: Callable[[bytes], None]) -> None:
        self.name = name
        self.baud = baud  # what the device's getty speaks
        self.line_baud = baud  # what the port is set to (RFC 2217 can change it)
        self.world = world
        self._send = send
        self._lock = threading.RLock()  # a SysRq reboot re-enters through on_power
        self._state = "login"
        self._user = ""
        self._buffer = ""
        self._sysrq_armed = False
        self.received: list[bytes] = []  # what reached the device, for tests
        self.breaks: list[float] = []  # when a BREAK began on the line (monotonic), for tests

    # -- towards the admin ---------------------------------------------------------

    def emit(self, data: bytes) -> None:
        """Send bytes as the device would; garbled when the baud rates differ."""
        if self.line_baud != self.baud:
            data = bytes((byte * 7 + 61) % 256 for byte in data)
        self._send(data)

    def say(self, *lines: str) -> None:
        self.emit("".join(line + "\r\n" for line in lines).encode())

    def prompt(self) -> None:
        text = {
            "login": f"{self.name} login: ",
            "password": "Password: ",
            "shell": f"root@{self.name}:~# ",
        }[self._state]
        self.emit(text.encode())

    # -- power -----------------------------------------------------------------------

    def on_power(self, event: PowerEvent) -> None:
        if event.device != self.name:
            return
        with self._lock:
            if event.kind is PowerEventKind.BOOTING:
                self._state, self._buffer = "login", ""
                lines = [line.format(baud=self.baud, name=self.name) for line in BOOT_LOG]
                self.say(*lines)
                self.prompt()

    @property
    def alive(self) -> bool:
        return self.world.device_powered(self.name)

    # -- from the admin --------------------------------------------------------------

    def break_began(self) -> None:
        """The line went into the break condition: recorded, whatever follows (on a
        SPARC console, this alone would drop Solaris to OpenBoot's `ok`)."""
        self.breaks.append(time.monotonic())

    def line_break(self) -> None:
        """A BREAK on the line: the next key is a Magic SysRq command."""
        self._sysrq_armed = True

    def receive(self, data: bytes) -> None:
        if not self.alive:
            return
        self.received.append(data)
        if self.line_baud != self.baud:
            return  # the device's UART reads noise
        with self._lock:
            for char in data.decode("latin-1"):
                self._key(char)

    def _key(self, char: str) -> None:
        if self._sysrq_armed:
            self._sysrq_armed = False
            self.say("", *SYSRQ.get(char.lower(), [f"SysRq : HELP : (unknown key {char!r})"]))
            if char.lower() == "b":
                self.world.reboot(self.name)
            return
        if char in "\r\n":
            line, self._buffer = self._buffer, ""
            self.emit(b"\r\n")
            self._line(line)
        elif char in "\x7f\x08":
            if self._buffer:
                self._buffer = self._buffer[:-1]
                if self._state != "password":
                    self.emit(b"\x08 \x08")
        elif char == "\x03":
            self._buffer = ""
            self.emit(b"^C\r\n")
            self.prompt()
        elif char == "\x04" and not self._buffer and self._state == "shell":
            self.emit(b"logout\r\n")
            self._state = "login"
            self.prompt()
        elif char.isprintable():
            self._buffer += char
            if self._state != "password":
                self.emit(char.encode("latin-1"))

    def _line(self, line: str) -> None:
        if self._state == "login":
            if line.strip():
                self._user, self._state = line.strip(), "password"
        elif self._state == "password":
            self._state = "shell"
            self.say(
                "Linux " + self.name + " 2.6.26-2-686-bigmem #1 SMP i686",
                "",
                "Last login: Tue Nov 24 02:58:11 2026 on ttyS0",
            )
        else:
            self._command(line.strip())
        self.prompt()

    def _command(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        verb = words[0]
        if verb in ("exit", "logout"):
            self._state = "login"
        elif verb == "hostname":
            self.say(self.name)
        elif verb == "whoami":
            self.say(self._user or "root")
        elif verb == "uname":
            self.say(f"Linux {self.name} 2.6.26-2-686-bigmem #1 SMP i686 GNU/Linux")
        elif verb == "uptime":
            self.say(f" up {int(self.world.uptime(self.name) // 60)} min,  1 user")
        elif verb == "echo":
            self.say(" ".join(words[1:]))
        elif verb == "stty":
            pass  # rows/cols accepted silently, as stty does
        elif verb == "reboot":
            self.say(
                "",
                "Broadcast message from root@" + self.name,
                "The system is going down for reboot NOW!",
            )
            self.world.reboot(self.name)
        elif verb == "garble":
            self.emit(GARBLE)
        elif verb == "flood" and len(words) == 2 and words[1].isdigit():
            data = flood(int(words[1]))
            self.emit(data)
            self.say("", "flood sha256 " + flood_sha256(len(data)))
        else:
            self.say(f"-bash: {verb}: command not found")
