"""pyserial's RFC 2217 client made to open against the console servers admins
really run.

Debian's ser2net 4 does not answer SET_CONTROL; newer releases ignore purges;
some refuse parameter changes. We never use hardware flow control, so
SET_CONTROL answers are not awaited (`ign_set_control` is added to the URL), an
unacknowledged purge or parameter change is noted and passed over, and the baud
rate the server says it uses is kept (`server_baud`, None when it never said). A
server that refuses the COM-PORT option (plain telnet) or speaks no telnet at
all (raw TCP) is named as such in the error.
"""

from __future__ import annotations

import struct
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import serial
from serial import rfc2217

SERVER_CODES = 100  # RFC 2217: a server's answers are the client's codes + 100


def with_ign_set_control(url: str) -> str:
    """An `rfc2217://` URL with pyserial's `ign_set_control` option, added if absent
    (other URLs unchanged): we never use hardware flow control, so there is no
    reason to wait for SET_CONTROL answers that ser2net never sends."""
    if not url.startswith("rfc2217://"):
        return url
    parts = urlsplit(url)
    options = parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "ign_set_control" for name, _value in options):
        return url
    query = f"{parts.query}&ign_set_control" if parts.query else "ign_set_control"
    return urlunsplit(parts._replace(query=query))


class TolerantRfc2217(rfc2217.Serial):  # type: ignore[misc]  # pyserial is untyped
    """pyserial's RFC 2217 client, tolerant of servers that answer less than it asks.

    Only hooks pyserial calls are overridden; the protocol itself is pyserial's."""

    server_baud: int | None = None  # what the server said the line runs at
    tolerated: list[str]  # what the server left unanswered, in order

    def open(self) -> None:
        self.server_baud = None
        self.tolerated = []
        self._telnet_seen = False
        self._com_port_refused = False
        self._purge_unanswered = False
        self._settings_unanswered = False
        self._com_port_answers = 0  # RFC 2217 answers (server-to-client codes) seen
        self._echoed = False
        try:
            super().open()
        except serial.SerialException as error:
            if "does not seem to support RFC2217" in str(error) and not self._telnet_seen:
                raise serial.SerialException(
                    "the server speaks no telnet at all, so no RFC 2217 either "
                    "(a raw TCP port? use socket://HOST:PORT)"
                ) from error
            raise

    # -- hooks from pyserial's reader thread ---------------------------------------------

    def _telnet_negotiate_option(self, command: bytes, option: bytes) -> None:
        self._telnet_seen = True
        if option == rfc2217.COM_PORT_OPTION and command == rfc2217.DONT:
            self._com_port_refused = True
        super()._telnet_negotiate_option(command, option)

    def _telnet_process_subnegotiation(self, suboption: bytes) -> None:
        if suboption[0:1] == rfc2217.COM_PORT_OPTION and len(suboption) >= 2:
            if suboption[1] >= SERVER_CODES:
                self._com_port_answers += 1
            else:
                self._echoed = True  # our own request came back: nothing answers it
        if (
            suboption[0:1] == rfc2217.COM_PORT_OPTION
            and suboption[1:2] == rfc2217.SERVER_SET_BAUDRATE
            and len(suboption) >= 6
        ):
            (baud,) = struct.unpack("!I", suboption[2:6])
            self.server_baud = baud or None
        super()._telnet_process_subnegotiation(suboption)

    # -- what pyserial waits for --------------------------------------------------------

    def _reconfigure_port(self) -> None:
        if self._com_port_refused or not self._we_com_port_active():
            raise serial.SerialException(
                "the server speaks plain telnet, not RFC 2217 (it refused the COM-PORT "
                "option): use socket://HOST:PORT with `protocol: telnet`, or the "
                "server's RFC 2217 port"
            )
        if self._settings_unanswered:
            self.server_baud = None  # a change it will not confirm: its speed is its own
        try:
            super()._reconfigure_port()
            return
        except (serial.SerialException, ValueError) as error:  # unanswered or refused
            if not self._com_port_answers:  # not one RFC 2217 answer: not an RFC 2217 server
                if self._echoed:
                    raise serial.SerialException(
                        "the port echoes our RFC 2217 requests back instead of answering "
                        "them: a raw TCP port (use socket://HOST:PORT)"
                    ) from error
                raise serial.SerialException(
                    f"the server agreed to RFC 2217 but answers none of its requests ({error})"
                ) from error
            self._settings_unanswered = "does not accept" in str(error)
            self.tolerated.append(f"parameter change ({error})")
        # what pyserial would have done next, had the settings been acknowledged
        self.rfc2217_set_control(rfc2217.SET_CONTROL_USE_NO_FLOW_CONTROL)

    def _we_com_port_active(self) -> bool:
        options: list[Any] = self._telnet_options
        return any(option.name == "we-RFC2217" and option.active for option in options)

    def rfc2217_send_purge(self, value: bytes) -> None:
        if self._purge_unanswered:  # it did not answer before: do not wait again
            self._rfc2217_options["purge"].set(value)
            return
        try:
            super().rfc2217_send_purge(value)
        except serial.SerialException as error:
            self._purge_unanswered = True
            self.tolerated.append(f"purge ({error})")

    def rfc2217_set_control(self, value: bytes) -> None:
        if not self._ignore_set_control_answer:
            super().rfc2217_set_control(value)
            return
        self._rfc2217_options["control"].set(value)  # pyserial would also sleep 0.1 s
