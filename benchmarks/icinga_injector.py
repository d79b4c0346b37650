"""Check results offered to Icinga 2 at a set rate (`actions/process-check-result`),
as a process of its own so that its CPU is apart from the app's.

httpx in 32 threads reached only 777/s, spending more CPU than Icinga: here
CONNECTIONS HTTP/1.1 keep-alive TLS connections in one asyncio loop each send a
prebuilt request and read the answer by its Content-Length, paced by one shared
clock (result i leaves at start + i / rate). Each result's output carries its
send time, so the reader can say how far behind it saw it.

    python benchmarks/icinga_injector.py URL USER PASSWORD_FILE CA RATE SECONDS TAG HOSTS_FILE

Prints one JSON line: sent, failed, seconds, CPU seconds.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlsplit

CONNECTIONS = 16


class Injector:
    def __init__(self, url: str, user: str, password: str, ca: str, hosts: list[str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 5665
        self.context = ssl.create_default_context(cafile=ca)
        token = b64encode(f"{user}:{password}".encode()).decode()
        self.head = (
            "POST /v1/actions/process-check-result HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nAuthorization: Basic {token}\r\n"
            "Accept: application/json\r\nContent-Type: application/json\r\n"
        )
        self.hosts = hosts
        self.sent = self.failed = 0

    def request(self, index: int, tag: str) -> bytes:
        body = json.dumps(
            {
                "type": "Service",
                "service": self.hosts[index % len(self.hosts)] + "!web",
                "exit_status": index % 2 * 2,
                "plugin_output": f"{tag} {index} {time.time():.4f}",
            }
        ).encode()
        return f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def connection(self, total: int, rate: float, start: float, tag: str) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.context)
        try:
            while self.sent < total:
                index = self.sent
                self.sent += 1
                pause = start + index / rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                writer.write(self.request(index, tag))
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                if not head.startswith(b"HTTP/1.1 200"):
                    self.failed += 1
        finally:
            writer.close()

    async def run(self, rate: float, seconds: float, tag: str) -> dict[str, float]:
        total, start = int(rate * seconds), time.monotonic()
        await asyncio.gather(
            *(self.connection(total, rate, start, tag) for _ in range(CONNECTIONS))
        )
        return {
            "sent": self.sent,
            "failed": self.failed,
            "seconds": time.monotonic() - start,
            "cpu": time.process_time(),
        }


def main() -> None:
    url, user, password_file, ca, rate, seconds, tag, hosts_file = sys.argv[1:9]
    password = Path(password_file).read_text(encoding="utf-8").strip()
    hosts = Path(hosts_file).read_text(encoding="utf-8").split()
    injector = Injector(url, user, password, ca, hosts)
    print(json.dumps(asyncio.run(injector.run(float(rate), float(seconds), tag))))


if __name__ == "__main__":
    main()
