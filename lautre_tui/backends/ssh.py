"""SSH connections as admins have them: OpenSSH's known_hosts and ~/.ssh/config,
the agent and the usual keys. Host keys are always checked.

asyncssh re-reads a known_hosts *path* for every connection (2.4x slower first
round at 1000 hosts here), so files are read once per set of paths and the
parsed object is passed; client keys likewise. Failures become typed errors
that say what an admin needs to know: a changed host key carries the
fingerprint the host now presents, and no session is opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncssh

from lautre_tui.model.layout import SshSettings

OPENSSH_KNOWN_HOSTS = (
    "~/.ssh/known_hosts",
    "~/.ssh/known_hosts2",
    "/etc/ssh/ssh_known_hosts",
    "/etc/ssh/ssh_known_hosts2",
)
OPENSSH_KEYS = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
OPENSSH_CONFIG = "~/.ssh/config"


class SshError(Exception):
    """Why a host could not be reached; `str()` is the line shown to the admin."""


class HostKeyChanged(SshError):
    def __init__(self, host: str, fingerprint: str | None) -> None:
        self.fingerprint = fingerprint
        presented = f" (it now presents {fingerprint})" if fingerprint else ""
        super().__init__(
            f"host key changed for {host}{presented}: no connection made; "
            "check with the host's admins before updating known_hosts"
        )


class HostKeyUnknown(SshError):
    def __init__(self, host: str) -> None:
        super().__init__(
            f"host key of {host} is not in known_hosts: connect once with ssh "
            "to check and record it"
        )


class AuthRefused(SshError):
    pass


class SetupError(SshError):
    """Our side cannot try this host (a name no resolver takes, unreadable files)."""


class Unreachable(SshError):
    pass


class Timeout(SshError):
    pass


class SshConnector:
    """Opens connections; one per process so that files are read only once."""

    def __init__(self, *, connect_timeout: float = 10.0, keepalive: float = 15.0) -> None:
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self._known_hosts: dict[tuple[Path, ...], asyncssh.SSHKnownHosts] = {}
        self._keys: dict[tuple[Path, ...], list[asyncssh.SSHKey]] = {}
        self.problems: list[str] = []  # known_hosts lines skipped, files unreadable

    def known_hosts(self, override: Path | None) -> asyncssh.SSHKnownHosts:
        """The layout's known_hosts, else OpenSSH's user and system files, read once."""
        candidates = (
            [override]
            if override is not None
            else [Path(name).expanduser() for name in OPENSSH_KNOWN_HOSTS]
        )
        paths = tuple(path for path in candidates if path.is_file())
        if paths not in self._known_hosts:
            self._known_hosts[paths] = self._read_known_hosts(paths)
        return self._known_hosts[paths]

    def _read_known_hosts(self, paths: tuple[Path, ...]) -> asyncssh.SSHKnownHosts:
        """All the files' entries; as OpenSSH does, a malformed line is skipped (and
        said in `problems`) instead of making every host of the file unverifiable."""
        lines: list[str] = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                self.problems.append(f"{path}: cannot read: {error.strerror or error}")
                continue
            try:
                asyncssh.import_known_hosts(text)
                lines.append(text)
                continue
            except ValueError:
                pass
            for number, line in enumerate(text.splitlines(), 1):
                try:
                    asyncssh.import_known_hosts(line)
                except ValueError as error:
                    self.problems.append(f"{path}:{number}: skipped: {error}")
                    continue
                lines.append(line)
        return asyncssh.import_known_hosts("\n".join(lines))

    def client_keys(self, paths: Sequence[Path] | None) -> list[asyncssh.SSHKey] | None:
        """Keys from the layout, else OpenSSH's usual unencrypted ones; None lets
        asyncssh use the agent alone. Read once."""
        explicit = paths is not None
        candidates = (
            tuple(paths)
            if paths is not None
            else tuple(Path(name).expanduser() for name in OPENSSH_KEYS)
        )
        if candidates not in self._keys:
            keys: list[asyncssh.SSHKey] = []
            for path in candidates:
                try:
                    keys.append(asyncssh.read_private_key(str(path)))
                except (OSError, asyncssh.KeyImportError):
                    if explicit:
                        raise
            self._keys[candidates] = keys
        keys = self._keys[candidates]
        return keys if keys or explicit else None

    async def connect(
        self, settings: SshSettings, *, password: str | None = None
    ) -> asyncssh.SSHClientConnection:
        """An authenticated connection to `settings.host`, its key checked."""
        host = settings.host or "localhost"
        known = self.known_hosts(settings.known_hosts)
        asked: list[tuple[str, int]] = []

        def trusted(name: str, addr: str, port: int | None) -> Any:
            """asyncssh asks with the name and port it really uses (after
            ~/.ssh/config's HostName, Port and HostKeyAlias): keep them for the
            diagnosis, as OpenSSH reports against where it connected."""
            asked.append((name, port or 22))
            return known.match(name, addr, port)

        options: dict[str, object] = {
            "known_hosts": trusted,
            "connect_timeout": self.connect_timeout,
            "keepalive_interval": self.keepalive,
            "keepalive_count_max": 3,
        }
        config = settings.config or Path(OPENSSH_CONFIG).expanduser()
        options["config"] = [str(config)] if config.is_file() else []
        if settings.port is not None:
            options["port"] = settings.port
        if settings.user is not None:
            options["username"] = settings.user
        if password is not None:
            options["password"] = password
            options["client_keys"] = []
            options["agent_path"] = None
        else:
            try:
                keys = self.client_keys(settings.client_keys)
            except (OSError, asyncssh.KeyImportError) as error:
                raise AuthRefused(f"cannot read the client key: {error}") from error
            if keys is not None:
                options["client_keys"] = keys
        try:
            return await asyncssh.connect(host, **options)
        except asyncssh.HostKeyNotVerifiable as error:
            where = asked[-1] if asked else (host, settings.port or 22)
            raise await self._key_error(known, *where) from error
        except asyncssh.PermissionDenied as error:
            raise AuthRefused(f"authentication refused by {host}") from error
        except (asyncio.TimeoutError, TimeoutError) as error:
            raise Timeout(f"{host}: no answer within {self.connect_timeout:.0f} s") from error
        except asyncssh.Error as error:
            raise Unreachable(f"{host}: {error.reason}") from error
        except OSError as error:
            reason = error.strerror or str(error)
            raise Unreachable(f"{host}: {reason}") from error
        except (UnicodeError, ValueError) as error:  # the idna codec, bad options
            raise SetupError(f"cannot connect to {host!r}: {error}") from error

    async def _key_error(self, known: asyncssh.SSHKnownHosts, host: str, port: int) -> SshError:
        """Changed (known_hosts has another key for where we connected) or unknown;
        with the fingerprint the host now presents."""
        trusted = known.match(host, "", port if port != 22 else None)[0]
        shown = host if port == 22 else f"[{host}]:{port}"
        if not trusted:
            return HostKeyUnknown(shown)
        fingerprint: str | None = None
        try:  # only the key is fetched: no authentication, nothing trusted
            presented = await asyncio.wait_for(asyncssh.get_server_host_key(host, port), 5)
            fingerprint = presented.get_fingerprint("sha256") if presented else None
        except (OSError, asyncssh.Error, asyncio.TimeoutError):
            fingerprint = None
        return HostKeyChanged(shown, fingerprint)
