"""The closed sets of values a layout chooses from: what a device is, what is
expected of it, and how its console is spoken to."""

from __future__ import annotations

import enum


class DeviceKind(str, enum.Enum):
    """What a device is; decides how it is drawn and which actions make sense."""

    SERVER = "server"
    SWITCH = "switch"
    PDU = "pdu"
    CONSOLE_SERVER = "console-server"
    DISK_BAY = "disk-bay"
    OTHER = "other"


class Lifecycle(str, enum.Enum):
    """What the admins expect of a device, independent of what it does right now."""

    PRODUCTION = "production"
    STANDBY = "standby"  # cold standby: off on purpose until its twin fails
    STAGING = "staging"  # not in production yet: never alerts


class Newline(str, enum.Enum):
    """What the Enter key sends to a console (most want CR; some ILOMs and old
    switches want LF or CR LF)."""

    CR = "cr"
    LF = "lf"
    CRLF = "crlf"

    @property
    def data(self) -> bytes:
        return {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}[self.value]


class Backspace(str, enum.Enum):
    """What the Backspace key sends: DEL (0x7f, most) or BS (Ctrl-H, 0x08)."""

    DEL = "del"
    BS = "bs"

    @property
    def data(self) -> bytes:
        return b"\x7f" if self is Backspace.DEL else b"\x08"


class ConsoleProtocol(str, enum.Enum):
    """How bytes travel to the console server's port."""

    RFC2217 = "rfc2217"
    RAW = "raw"  # plain TCP, no negotiation
    TELNET = "telnet"  # TCP with telnet IAC escaping (BREAK as IAC BRK)
    TTY = "tty"  # a local serial device, /dev/tty*
