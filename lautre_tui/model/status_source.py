"""The layout's `status_source:` key: where device states come from.

Absent, the embedded poller measures them; `status_source: {icinga2: {...}}`
reads them from an Icinga 2 master's API instead (see `services.icinga_source`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lautre_tui.model import schema as k


@dataclass(frozen=True, slots=True)
class Icinga2Source:
    """An Icinga 2 API: `host_name` makes the Icinga host name of a device
    (`{name}` is the device's name), for reading and for `export icinga2`."""

    url: str = field(
        metadata=k.text(
            "the API, `https://HOST:5665` (always TLS)",
            required=True,
            check="icinga-url",
            pattern="^https://",
        )
    )
    user: str | None = field(default=None, metadata=k.text("the ApiUser's name"))
    password_file: Path | None = field(
        default=None, metadata=k.path("a file holding the ApiUser's password (mode 0600)")
    )
    ca_file: Path | None = field(
        default=None,
        metadata=k.path("the CA that signed the API's certificate", default_doc="the system's CAs"),
    )
    host_name: str = field(
        default="{name}",
        metadata=k.text(
            "the Icinga host name of a device, `{name}` being the device's name (also used "
            "by `export icinga2`)",
            check="icinga-host-name",
        ),
    )
    client_cert: Path | None = field(
        default=None, metadata=k.path("a client certificate, with `client_key`")
    )
    client_key: Path | None = field(
        default=None, metadata=k.path("the client certificate's key", needs="client_cert")
    )

    def host_of(self, device: str) -> str:
        return self.host_name.format(name=device)


@dataclass(frozen=True, slots=True)
class StatusSource:
    """`status_source:`, of which Icinga 2 is the one kind today; the loader gives
    the layout its `icinga2` section itself."""

    icinga2: Icinga2Source = field(
        metadata=k.section("read the states from an Icinga 2 API", Icinga2Source, required=True)
    )


def icinga_host_name(source: Icinga2Source | None, device: str) -> str:
    return source.host_of(device) if source is not None else device


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"not a URL: {error}"
    if parts.scheme != "https" or not parts.hostname:
        return "must be https://HOST:PORT (the API is always TLS)"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must be https://HOST:PORT, without a path"
    return None if port is None or port > 0 else "the port must be 1-65535"


def template_problem(template: str) -> str | None:
    """`host_name` may use `{name}` and nothing else."""
    try:
        parts = [(f, s, c) for _t, f, s, c in string.Formatter().parse(template) if f is not None]
    except ValueError as error:
        return f"bad template: {error}"
    if any(spec or conversion for _f, spec, conversion in parts):
        return "{name} takes no format or conversion (no : or ! inside the braces)"
    fields = [f for f, _s, _c in parts]
    if fields != ["name"]:
        return 'must contain "{name}" once (the device\'s name), and no other {field}'
    return None
