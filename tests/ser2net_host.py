"""The host behind a console server's serial port, for the ser2net tests.

Run as `python ser2net_host.py PTY RECORD NAME`: opens the pseudo-terminal PTY
(one end of a socat pair whose other end ser2net serves), echoes every byte it
receives, answers a carriage return with `NAME login: `, and appends every byte
received to RECORD. RECORD exists once the port is open: that is its readiness.
"""

from __future__ import annotations

import os
import sys
import tty


def main(pty_path: str, record_path: str, name: str) -> None:
    fd = os.open(pty_path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    prompt = f"\r\n{name} login: ".encode()
    with open(record_path, "ab", buffering=0) as record:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the pair's other end went away
                return
            if not data:
                return
            record.write(data)
            os.write(fd, data.replace(b"\r", prompt))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
