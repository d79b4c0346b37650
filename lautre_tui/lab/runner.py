"""Start the whole lab on 127.0.0.1 and write what a client needs to reach it.

`Lab` builds the world from L'Autre Net's shipped layout (plus generated hosts
for scale tests), starts every component, and writes into its directory:
`layout.yaml` (the same devices, with the lab's addresses and ports),
`known_hosts` (each server its own host key), `id_ed25519` (+ `.pub`, the client
key the hosts accept) and the strip's secret. Closing it frees every port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from lautre_tui.lab.console_server import ConsoleServer
from lautre_tui.lab.hosts import SimHost
from lautre_tui.lab.keys import CLIENT_KEY, KNOWN_HOSTS, write_client_key
from lautre_tui.lab.management import ManagementPorts
from lautre_tui.lab.pdu import LabPdu
from lautre_tui.lab.ssh_hosts import SshHosts
from lautre_tui.lab.world import DEFAULT_BOOT_SECONDS, LabComponent, World
from lautre_tui.locations import shipped_layout
from lautre_tui.model.errors import LayoutLoadError
from lautre_tui.model.loader import load_layout, parse_layout

LAYOUT = "layout.yaml"
RACK_UNITS = 42

# Each component serves one kind of device; add one here to extend the lab.
COMPONENTS: tuple[Callable[[], LabComponent], ...] = (
    SshHosts,
    ConsoleServer,
    LabPdu,
    ManagementPorts,
)


def lab_layout_data(hosts: int, reach_only: int = 0) -> dict[str, Any]:
    """L'Autre Net's layout as plain data, with `hosts` generated servers and then
    `reach_only` generated devices without a shell (checked by TCP) added in extra
    racks of 42 U (for scale tests and benchmarks)."""
    data: dict[str, Any] = yaml.safe_load(shipped_layout().read_text(encoding="utf-8"))
    racks = (hosts + reach_only + RACK_UNITS - 1) // RACK_UNITS
    for rack in range(1, racks + 1):
        data["racks"].append({"name": f"baie-gen-{rack}", "height": RACK_UNITS})
    for offset in range(reach_only):
        index = hosts + offset
        data["devices"][f"genr{offset + 1:04d}"] = {
            "rack": f"baie-gen-{index // RACK_UNITS + 1}",
            "u": RACK_UNITS - index % RACK_UNITS,
            "kind": "other",
            "state": "production",
            "role": "generated device without a shell (scale tests)",
            "reach": {"tcp": [22]},
        }
    for index in range(hosts):
        data["devices"][f"gen{index + 1:04d}"] = {
            "rack": f"baie-gen-{index // RACK_UNITS + 1}",
            "u": RACK_UNITS - index % RACK_UNITS,
            "kind": "server",
            "state": "production",
            "role": "generated host (scale tests)",
            "software": ["Apache"],
            "services": [
                {"name": "web", "process": "apache2", "port": 80},
                {"name": "cron", "process": "cron"},
            ],
        }
    return data


def merge(into: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Deep-merge a component's layout fragment (mappings merge, values replace)."""
    for key, value in fragment.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


class Lab:
    """The running lab; an async context manager."""

    def __init__(
        self,
        directory: Path,
        *,
        hosts: int = 0,
        reach_only: int = 0,
        seed: int | None = None,
        boot_seconds: float = DEFAULT_BOOT_SECONDS,
    ) -> None:
        self.directory = Path(directory)
        self.layout_path = self.directory / LAYOUT
        self.known_hosts = self.directory / KNOWN_HOSTS
        self.client_key = self.directory / CLIENT_KEY
        data = lab_layout_data(hosts, reach_only)
        parsed = parse_layout(yaml.safe_dump(data, sort_keys=False), "<lab>", self.directory)
        if parsed.layout is None or parsed.errors:
            raise LayoutLoadError(parsed.errors)
        self._data = data
        self.world = World(parsed.layout, seed=seed, boot_seconds=boot_seconds)
        self.components: list[LabComponent] = [factory() for factory in COMPONENTS]

    @property
    def ssh_hosts(self) -> SshHosts:
        return next(c for c in self.components if isinstance(c, SshHosts))

    @property
    def console_server(self) -> ConsoleServer:
        return next(c for c in self.components if isinstance(c, ConsoleServer))

    @property
    def management(self) -> ManagementPorts:
        return next(c for c in self.components if isinstance(c, ManagementPorts))

    @property
    def pdu(self) -> LabPdu:
        return next(c for c in self.components if isinstance(c, LabPdu))

    def host(self, name: str) -> SimHost:
        return self.ssh_hosts.host(name)

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.world.bind_loop(asyncio.get_running_loop())
        write_client_key(self.directory)
        data = self._data
        data["site"] = f"{data.get('site', 'lab')} (lab)"
        data["ssh"] = {"user": "root", "known_hosts": KNOWN_HOSTS, "client_keys": [CLIENT_KEY]}
        known_hosts: list[str] = []
        started: list[LabComponent] = []
        try:
            for component in self.components:
                fragment = await component.start(self.world, self.directory)
                started.append(component)
                known_hosts += fragment.pop("_known_hosts", [])
                merge(data, fragment)
        except BaseException:
            for component in reversed(started):
                await component.close()
            raise
        self.known_hosts.write_text("\n".join(known_hosts) + "\n", encoding="utf-8")
        header = "# Written by `lautre-tui lab`: L'Autre Net on 127.0.0.1. Do not edit.\n"
        self.layout_path.write_text(
            header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
        )
        result = load_layout(self.layout_path)
        if result.errors:
            await self.close()
            raise LayoutLoadError(result.errors)

    async def close(self) -> None:
        for component in reversed(self.components):
            await component.close()

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
