"""A simulated Debian host per device: processes, ports, mounts, files, figures.

The state is derived from what the device runs according to the layout (its
`services:` checks and role), so that a healthy host satisfies its checks and a
hand-written layout also gets a plausible host. Faults and power come from the
shared `World`; load and disk use drift slowly, driven by the world's seeded
random generator so that `--seed` makes a run reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lautre_tui.lab.world import FaultKind, World
from lautre_tui.model.checks import Check
from lautre_tui.model.layout import Device, DeviceKind

VIP = "192.0.2.10"  # documentation range: the real public addresses are not in the seed
BASE_PROCESSES = ("init", "sshd", "cron", "rsyslogd")
NFS_SOURCE = "fey:/data/elsa_nfs"


@dataclass
class SimFile:
    content: bytes
    mtime: float  # epoch seconds


@dataclass
class IpvsService:
    protocol: str
    virtual: str  # "192.0.2.10:80"
    scheduler: str
    reals: list[str]  # ["emma:80", ...] resolved to addresses when rendered


@dataclass
class _Part:
    """What one check names, so that a stopped service takes all of it down."""

    processes: set[str] = field(default_factory=set)
    ports: set[int] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    mounts: set[str] = field(default_factory=set)
    virtuals: set[str] = field(default_factory=set)


class SimHost:
    """One device's operating system, as far as the probe and `cat` can see."""

    def __init__(
        self,
        device: Device,
        world: World,
        address: Callable[[str], str],
        peers: Callable[[str], SimHost | None],
    ) -> None:
        self.name = device.name
        self.hostname = device.name
        self.device = device
        self.world = world
        self._address = address
        self._peers = peers
        rng = world.rng
        now = time.time()
        self.processes: dict[str, int] = {name: 1 for name in BASE_PROCESSES}
        self.tcp_listening: set[int] = {22}
        self.services: dict[str, bool] = {"ssh": True, "cron": True}
        self.mounts: list[tuple[str, str, str]] = [
            ("/dev/sda1", "/", "ext3"),
            ("proc", "/proc", "proc"),
        ]
        self.files: dict[str, SimFile] = {
            "/etc/hostname": SimFile(f"{device.name}\n".encode(), now - 400 * 86400),
            "/etc/debian_version": SimFile(b"5.0.6\n", now - 300 * 86400),
        }
        self.ipvs: list[IpvsService] = []
        self.mdstat = "Personalities : \nunused devices: <none>\n"
        big = device.kind is DeviceKind.SERVER and device.height >= 2
        self.mem_total_kb = 4_194_304 if big else 2_097_152
        self.swap_total_kb = 2_097_152
        self.loadavg = (round(rng.uniform(0.05, 0.8), 2),) * 3
        self.disks: dict[str, tuple[int, int]] = {
            "/": (20_000_000, int(rng.uniform(0.3, 0.6) * 20_000_000))
        }
        self._parts: dict[str, _Part] = {}
        self._stopped: set[str] = set()
        self._blip: tuple[str, float] | None = None  # (stopped part, back at monotonic time)
        for check in device.services:
            self._provide(check, now)

    # -- building from the checks ---------------------------------------------

    def _provide(self, check: Check, now: float) -> None:
        part = self._parts.setdefault(check.name, _Part())
        rng = self.world.rng
        if check.process:
            self.processes[check.process] = 8 if check.process.startswith("apache") else 1
            part.processes.add(check.process)
        if check.port:
            self.tcp_listening.add(check.port)
            part.ports.add(check.port)
        if check.service:
            self.services[check.service] = True
            part.units.add(check.service)
            self.processes.setdefault("master" if check.service == "postfix" else check.service, 1)
        if check.mount:
            source = NFS_SOURCE if check.fstype == "nfs" else "/dev/sdb1"
            self.mounts.append((source, check.mount, check.fstype or "ext3"))
            part.mounts.add(check.mount)
        if check.file:
            part.files.add(check.file)
            age = rng.uniform(3600, (check.max_age or 86400) * 0.6)
            text = f"{check.contains}\n" if check.contains else f"{check.name}\n"
            self.files[check.file] = SimFile(text.encode(), now - age)
            if check.file.startswith("/backups"):
                self.disks.setdefault("/backups", (400_000_000, 180_000_000))
        if check.mdstat:
            self.mdstat = _mdstat(degraded=False)
            self.disks.setdefault("/data", (300_000_000, 120_000_000))
        if check.ipvs:
            port = check.ipvs.virtual.rsplit(":", 1)[1]
            self.ipvs.append(IpvsService("TCP", f"{VIP}:{port}", "wlc", []))
            part.virtuals.add(f"{VIP}:{port}")

    # -- live state -------------------------------------------------------------

    def _down_parts(self) -> set[str]:
        names = set(self._stopped)
        names |= {
            f.detail for f in self.world.faults_for(self.name) if f.kind is FaultKind.SERVICE_DOWN
        }
        return names

    def _down(self) -> _Part:
        down = _Part()
        for name in self._down_parts():
            part = self._parts.get(name) or next(
                (p for p in self._parts.values() if name in p.processes | p.units), None
            )
            if part is None:
                down.processes.add(name)
                continue
            down.processes |= part.processes
            down.ports |= part.ports
            down.units |= part.units
            down.files |= part.files
            down.mounts |= part.mounts
            down.virtuals |= part.virtuals
        return down

    def running(self, process: str) -> bool:
        return self.processes.get(process, 0) > 0 and process not in self._down().processes

    def listening(self, port: int) -> bool:
        return port in self.tcp_listening and port not in self._down().ports

    def active(self, unit: str) -> bool:
        return self.services.get(unit, False) and unit not in self._down().units

    def file(self, path: str) -> SimFile | None:
        """The file, unless what writes it is down (then it was never written)."""
        return None if path in self._down().files else self.files.get(path)

    def mounted(self) -> list[tuple[str, str, str]]:
        down = self._down().mounts
        return [mount for mount in self.mounts if mount[1] not in down]

    def stop_service(self, name: str) -> None:
        """Stop what the check (or process) `name` watches, as `/etc/init.d/X stop`."""
        self._stopped.add(name)

    def start_service(self, name: str) -> None:
        self._stopped.discard(name)

    def current_mdstat(self) -> str:
        if "raid" in self._down_parts() and self.mdstat.startswith("Personalities : [raid1]"):
            return _mdstat(degraded=True)
        return self.mdstat

    def current_ipvs(self) -> list[IpvsService]:
        """The LVS table as keepalived keeps it: real servers whose service answers."""
        if not self.running("keepalived"):
            return []
        table: list[IpvsService] = []
        down = self._down().virtuals
        for service in self.ipvs:
            if service.virtual in down:
                continue
            port = int(service.virtual.rsplit(":", 1)[1])
            reals = [
                f"{peer.name}:{port}"
                for peer in (self._peers(name) for name in self.world.layout.devices)
                if peer is not None and peer is not self and peer.serves(port)
            ]
            table.append(IpvsService(service.protocol, service.virtual, service.scheduler, reals))
        return table

    def serves(self, port: int) -> bool:
        """Up, and something listens on `port` besides ssh: a real server for LVS."""
        return port != 22 and self.world.device_up(self.name) and self.listening(port)

    def uptime(self) -> float:
        return self.world.uptime(self.name)

    @property
    def mem_available_kb(self) -> int:
        return int(self.mem_total_kb * (0.55 - min(0.4, self.loadavg[0] / 10)))

    @property
    def swap_free_kb(self) -> int:
        return self.swap_total_kb - 12_288

    def tick(self, seconds: float) -> None:
        """Drift: load wanders, disks fill slowly; with a seed, services blip."""
        rng = self.world.rng
        one = max(0.0, min(8.0, self.loadavg[0] + rng.gauss(0, 0.05) * seconds**0.5))
        five = self.loadavg[1] + (one - self.loadavg[1]) * min(1.0, seconds / 300)
        fifteen = self.loadavg[2] + (one - self.loadavg[2]) * min(1.0, seconds / 900)
        self.loadavg = (round(one, 2), round(five, 2), round(fifteen, 2))
        for mount, (size, used) in self.disks.items():
            self.disks[mount] = (size, min(size, used + int(rng.uniform(0, 40) * seconds)))
        if self._blip is not None and time.monotonic() > self._blip[1]:
            self.start_service(self._blip[0])
            self._blip = None
        blips = self.world.seed is not None and self._parts and self._blip is None
        if blips and rng.random() < 0.0005 * seconds:
            name = rng.choice(sorted(self._parts))
            self.stop_service(name)
            self._blip = (name, time.monotonic() + rng.uniform(20, 60))

    # -- files as `cat` shows them ---------------------------------------------

    def proc_file(self, path: str) -> str | None:
        """The text of a file under /proc or /etc, rendered from the state."""
        renderers: dict[str, Callable[[], str]] = {
            "/proc/loadavg": lambda: "{} {} {} 1/{} 4242\n".format(
                *self.loadavg, sum(self.processes.values())
            ),
            "/proc/uptime": lambda: f"{self.uptime():.2f} {self.uptime() * 1.8:.2f}\n",
            "/proc/meminfo": self._meminfo,
            "/proc/mounts": lambda: "".join(f"{s} {m} {t} rw 0 0\n" for s, m, t in self.mounted()),
            "/proc/mdstat": self.current_mdstat,
            "/proc/net/ip_vs": self._ip_vs,
            "/proc/net/tcp": self._proc_net_tcp,
        }
        if path in renderers:
            return renderers[path]()
        file = self.file(path)
        return file.content.decode("utf-8", "replace") if file is not None else None

    def _meminfo(self) -> str:
        return (
            f"MemTotal:       {self.mem_total_kb} kB\n"
            f"MemFree:        {self.mem_available_kb // 2} kB\n"
            f"MemAvailable:   {self.mem_available_kb} kB\n"
            f"SwapTotal:      {self.swap_total_kb} kB\n"
            f"SwapFree:       {self.swap_free_kb} kB\n"
        )

    def _proc_net_tcp(self) -> str:
        lines = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"]
        for n, port in enumerate(sorted(p for p in self.tcp_listening if self.listening(p))):
            lines.append(
                f"  {n}: 00000000:{port:04X} 00000000:0000 0A 00000000:00000000 "
                "00:00000000 00000000     0        0 1000 1 0 100 0 0 10 0"
            )
        return "\n".join(lines) + "\n"

    def _ip_vs(self) -> str:
        lines = [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn",
        ]
        for service in self.current_ipvs():
            ip, port = service.virtual.rsplit(":", 1)
            lines.append(f"{service.protocol}  {_hex_ip(ip)}:{int(port):04X} {service.scheduler}")
            for real in service.reals:
                name, real_port = real.rsplit(":", 1)
                address = _hex_ip(self._address(name))
                lines.append(
                    f"  -> {address}:{int(real_port):04X}      Route   1      3          12"
                )
        return "\n".join(lines) + "\n"


def _hex_ip(address: str) -> str:
    return "".join(f"{int(octet):02X}" for octet in address.split("."))


def _mdstat(*, degraded: bool) -> str:
    state = "[2/1] [U_]" if degraded else "[2/2] [UU]"
    disks = "sdb1[1](F) sda1[0]" if degraded else "sdb1[1] sda1[0]"
    return (
        "Personalities : [raid1]\n"
        f"md0 : active raid1 {disks}\n"
        f"      488383936 blocks {state}\n\n"
        "unused devices: <none>\n"
    )
