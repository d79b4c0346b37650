"""What is checked on a device: its service checks and, for a device without a
shell, how it is seen to answer.

Declarations of `layout` keys (see `model.schema`); `model.layout.Device` holds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lautre_tui.model import schema as k
from lautre_tui.model.errors import NOWHERE, Position


@dataclass(frozen=True, slots=True)
class ReachSettings:
    """How a device without a shell (or with one, in addition) is seen to answer:
    TCP connects that send nothing, and/or the system's ping."""

    host: str | None = field(
        default=None,
        metadata=k.host("where to send them", default_doc="the device's `ssh.host`, else its name"),
    )
    tcp: tuple[int, ...] = field(
        default=(),
        metadata=k.items(
            "TCP ports to connect to (and close without sending a byte)",
            k.item_of(k.Kind.INTEGER, low=1, high=65535),
            alternative=True,
        ),
    )
    ping: bool = field(
        default=False, metadata=k.boolean("run the system's `ping` once", alternative=True)
    )


@dataclass(frozen=True, slots=True)
class IpvsExpectation:
    """An LVS virtual service and how many real servers it needs at least."""

    virtual: str = field(
        metadata=k.text(
            "the virtual service, `IP:PORT` (`0.0.0.0` matches any address)", required=True
        )
    )
    min_real: int = field(
        default=1, metadata=k.integer("the fewest real servers it may have", 0, 1000)
    )


@dataclass(frozen=True, slots=True)
class Check:
    """One service check on a host; which fields are set says what is checked."""

    name: str = field(metadata=k.text("the check's name, shown in the app", required=True))
    process: str | None = field(
        default=None, metadata=k.text("a process of that name runs", alternative=True)
    )
    port: int | None = field(
        default=None,
        metadata=k.integer("something listens on this TCP port", 1, 65535, alternative=True),
    )
    service: str | None = field(
        default=None,
        metadata=k.text("the init script / systemd unit is active", alternative=True),
    )
    mount: str | None = field(
        default=None, metadata=k.text("this path is mounted", alternative=True)
    )
    file: str | None = field(default=None, metadata=k.text("the file exists", alternative=True))
    mdstat: bool = field(
        default=False,
        metadata=k.boolean("`true`: no degraded RAID array in /proc/mdstat", alternative=True),
    )
    ipvs: IpvsExpectation | None = field(
        default=None,
        metadata=k.section(
            "the LVS virtual service exists with at least `min_real` real servers",
            IpvsExpectation,
            alternative=True,
        ),
    )
    command: str | None = field(
        default=None,
        metadata=k.text(
            "a Nagios plugin's command line: exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN, "
            "first line shown",
            alternative=True,
        ),
    )
    fstype: str | None = field(
        default=None, metadata=k.text("the mount's filesystem type (`nfs`)", needs="mount")
    )
    max_age: float | None = field(
        default=None, metadata=k.duration("the file is at most this old (`26h`)", needs="file")
    )
    contains: str | None = field(
        default=None, metadata=k.text("the file contains this text", needs="file")
    )
    warn: float | None = field(
        default=None,
        metadata=k.number(
            "WARNING beyond this figure: above it for a mount's disk use (%) or a file's age "
            "(seconds), below it for an ipvs service's real servers; shown as perfdata"
        ),
    )
    crit: float | None = field(
        default=None,
        metadata=k.number("CRITICAL beyond this figure, as `warn`"),
    )
    position: Position = NOWHERE
