"""Keys of the lab: the client key the hosts accept, and known_hosts lines."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

CLIENT_KEY = "id_ed25519"
KNOWN_HOSTS = "known_hosts"


def new_host_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def write_client_key(directory: Path) -> asyncssh.SSHKey:
    """Create `id_ed25519` (0600) and `id_ed25519.pub` in `directory`."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment="lautre-tui lab client")
    private = directory / CLIENT_KEY
    key.write_private_key(str(private))
    os.chmod(private, 0o600)
    key.write_public_key(str(directory / f"{CLIENT_KEY}.pub"))
    return key


def read_client_public_key(directory: Path) -> asyncssh.SSHKey:
    return asyncssh.read_public_key(str(directory / f"{CLIENT_KEY}.pub"))


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    """A known_hosts line as OpenSSH writes it for a non-standard port."""
    public = key.export_public_key("openssh").decode().split()[:2]
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {' '.join(public)}"
