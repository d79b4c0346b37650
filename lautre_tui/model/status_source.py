"""The layout's `status_source:` key: where device states come from.

Absent, the embedded poller measures them; `status_source: {icinga2: {...}}`
reads them from an Icinga 2 master's API instead (see `services.icinga_source`).
Kept in its own module so that the loader's schema can take it over as one unit.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import yaml

    from lautre_tui.model.loader import _Reader

ICINGA2_KEYS = (
    "url",
    "user",
    "password_file",
    "ca_file",
    "host_name",
    "client_cert",
    "client_key",
)


@dataclass(frozen=True, slots=True)
class Icinga2Source:
    """An Icinga 2 API: `host_name` makes the Icinga host name of a device
    (`{name}` is the device's name), for reading and for `export icinga2`."""

    url: str
    user: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None  # None: the system's CAs
    host_name: str = "{name}"
    client_cert: Path | None = None
    client_key: Path | None = None

    def host_of(self, device: str) -> str:
        return self.host_name.format(name=device)


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
        fields = [f for _t, f, _s, _c in string.Formatter().parse(template) if f is not None]
    except ValueError as error:
        return f"bad template: {error}"
    if fields != ["name"]:
        return 'must contain "{name}" once (the device\'s name), and no other {field}'
    return None


def parse_status_source(reader: _Reader, node: yaml.Node) -> Icinga2Source | None:
    """`status_source: {icinga2: {...}}`; errors are recorded at their position."""
    kinds = reader.mapping(node, "status_source", ("icinga2",))
    if "icinga2" not in kinds:
        if kinds or not reader.errors:
            reader.error(node, "status_source: the only source is icinga2: {url: ...}")
        return None
    _key, body = kinds["icinga2"]
    entries = reader.mapping(body, "status_source.icinga2", ICINGA2_KEYS)
    what = "status_source.icinga2"
    if "url" not in entries:
        reader.error(body, f"{what}: url is required (https://HOST:5665)")
        return None
    url_node = entries["url"][1]
    url = reader.string(url_node, f"{what}.url")
    problem = url_problem(url) if url is not None else None
    if problem is not None:
        reader.error(url_node, f"{what}.url: {problem}")
    paths: dict[str, Path | None] = {
        key: reader.path(entries[key][1], f"{what}.{key}") if key in entries else None
        for key in ("password_file", "ca_file", "client_cert", "client_key")
    }
    user = reader.string(entries["user"][1], f"{what}.user") if "user" in entries else None
    template: str | None = "{name}"
    if "host_name" in entries:
        template_node = entries["host_name"][1]
        template = reader.string(template_node, f"{what}.host_name")
        bad = template_problem(template) if template is not None else None
        if bad is not None:
            reader.error(template_node, f"{what}.host_name: {bad}")
            template = None
    if ("client_cert" in entries) != ("client_key" in entries):
        reader.error(body, f"{what}: client_cert and client_key go together")
        return None
    given = [key for key in paths if key in entries] + (["user"] if "user" in entries else [])
    missing = [key for key in given if (user if key == "user" else paths[key]) is None]
    if url is None or problem is not None or template is None or missing:
        return None
    return Icinga2Source(
        url=url.rstrip("/"),
        user=user,
        password_file=paths["password_file"],
        ca_file=paths["ca_file"],
        host_name=template,
        client_cert=paths["client_cert"],
        client_key=paths["client_key"],
    )
