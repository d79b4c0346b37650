"""Telnet on a console server's TCP port (`protocol: telnet`): the bytes that escape and
break, and the filter that takes the protocol out of what the port reads."""

from __future__ import annotations

IAC, BRK = b"\xff", b"\xf3"


class TelnetFilter:
    """Just enough telnet for a console server's TCP port: IAC IAC is a 0xFF byte,
    option requests are refused, subnegotiations skipped."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        """(payload, bytes to answer the server with)."""
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        reply = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if byte != 0xFF:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):
                self._pending = data[i:]
                break
            command = data[i + 1]
            if command == 0xFF:
                out.append(0xFF)
                i += 2
            elif command in (0xFB, 0xFC, 0xFD, 0xFE):  # WILL WONT DO DONT
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                option = data[i + 2]
                if command == 0xFB:
                    reply += bytes((0xFF, 0xFE, option))  # DONT
                elif command == 0xFD:
                    reply += bytes((0xFF, 0xFC, option))  # WONT
                i += 3
            elif command == 0xFA:  # SB … IAC SE
                end = data.find(b"\xff\xf0", i + 2)
                if end < 0:
                    self._pending = data[i:]
                    break
                i = end + 2
            else:
                i += 2
        return bytes(out), bytes(reply)
