"""The host behind a console server's serial port, for the ser2net tests.

Run as `python ser2net_host.py PTY RECORD NAME`: opens the pseudo-terminal PTY
(one end of a socat pair whose other end ser2net serves), echoes every byte it
receives, answers a carriage return with `NAME login: `, and appends every byte
received to RECORD. RECORD exists once the port is open: that is its readiness.
A line `flood N` answers with the lab's flood of N bytes and its sha256, as the
lab's devices do, for the console benchmark.
"""

from __future__ import annotations

import os
import sys
import tty

from lautre_tui.lab.serial_device import flood, flood_sha256


def main(pty_path: str, record_path: str, name: str) -> None:
    fd = os.open(pty_path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    prompt = f"\r\n{name} login: ".encode()
    line = b""
    with open(record_path, "ab", buffering=0) as record:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the pair's other end went away
                return
            if not data:
                return
            record.write(data)
            for byte in data:
                if byte == 0x0D:
                    words = line.split()
                    line = b""
                    if len(words) == 2 and words[0] == b"flood" and words[1].isdigit():
                        burst = flood(int(words[1]))
                        digest = flood_sha256(len(burst)).encode()
                        write_all(fd, b"\r\n" + burst + b"\r\nflood sha256 " + digest + b"\r\n")
                        continue
                    write_all(fd, prompt)
                elif byte == 0x15:  # Ctrl-U
                    line = b""
                else:
                    line = (line + bytes((byte,)))[-64:]
                    write_all(fd, bytes((byte,)))


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
