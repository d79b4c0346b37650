"""An Icinga 2 REST API client (httpx, async): objects, actions, status, events.

TLS is always verified, against the layout's CA file or the system's; a wrong
certificate, a wrong password, a daemon that is not there all become an
`IcingaError` whose text names the URL, never a traceback. httpx is imported
here only, and this module only by the Icinga status source, so the app's first
paint does not pay for it.

The objects and the event stream are decoded by msgspec into the structs below:
only the fields the app reads are built (a check result's command, perfdata and
timings are skipped without making a dict of them), 3x faster than `json` and no
raw dicts kept alive.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import msgspec

from lautre_tui.model.status_source import Icinga2Source

MAX_EVENT_LINE = 1 << 20  # an event is a few hundred bytes; a runaway line is refused


class IcingaError(Exception):
    """Why the API could not be used; `str()` is the line shown to the admin."""


class VarsAfter(msgspec.Struct):
    """The object's state once the check result was processed."""

    state: float = 0
    state_type: float = 1  # 0 soft, 1 hard
    attempt: float = 1
    reachable: bool = True


class CheckResult(msgspec.Struct):
    output: str = ""
    state: float = 0
    execution_end: float = 0
    vars_after: VarsAfter | None = None
    performance_data: list[Any] | None = None  # null in a passive result; strings else


class StateAttrs(msgspec.Struct):
    """A host's or a service's attributes: the fields are the `attrs` asked for."""

    name: str = ""
    host_name: str = ""  # services only
    state: float = 0
    state_type: float = 0
    last_hard_state: float = 0
    last_check_result: CheckResult | None = None
    last_check: float = 0
    last_hard_state_change: float = 0
    check_attempt: float = 1
    acknowledgement: float = 0
    downtime_depth: float = 0
    last_reachable: bool = True


class _Item(msgspec.Struct):
    attrs: StateAttrs


class _Objects(msgspec.Struct):
    results: list[_Item] = []


class Downtime(msgspec.Struct):
    host_name: str = ""
    service_name: str = ""


class Event(msgspec.Struct):
    """One line of `/v1/events` (CheckResult, StateChange, Acknowledgement*, Downtime*)."""

    type: str = ""
    host: str = ""
    service: str = ""  # "" for a host
    timestamp: float = 0
    check_result: CheckResult | None = None
    state: float | None = None
    state_type: float | None = None
    downtime: Downtime | None = None


_OBJECTS = msgspec.json.Decoder(_Objects)
_EVENT = msgspec.json.Decoder(Event)
_FIELDS = StateAttrs.__struct_fields__


class IcingaApi:
    def __init__(self, source: Icinga2Source, timeout: float = 10.0) -> None:
        self.source = source
        self.url = source.url
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _build(self) -> httpx.AsyncClient:
        try:
            context = ssl.create_default_context(
                cafile=str(self.source.ca_file) if self.source.ca_file else None
            )
            if self.source.client_cert is not None and self.source.client_key is not None:
                context.load_cert_chain(str(self.source.client_cert), str(self.source.client_key))
        except (OSError, ssl.SSLError) as error:
            raise IcingaError(
                f"Icinga 2 at {self.url}: cannot read the CA or client certificate: {error}"
            ) from error
        auth: tuple[str, str] | None = None
        if self.source.user is not None:
            auth = (self.source.user, self._password())
        return httpx.AsyncClient(
            base_url=self.url,
            auth=auth,
            verify=context,
            timeout=httpx.Timeout(self.timeout),
            headers={"Accept": "application/json"},
        )

    def _password(self) -> str:
        path = self.source.password_file
        if path is None:
            return ""
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeError) as error:
            raise IcingaError(
                f"Icinga 2 at {self.url}: cannot read the password file {path}: {error}"
            ) from error

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._build()
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- requests -----------------------------------------------------------------

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"X-HTTP-Method-Override": method} if method == "GET" and body else {}
        try:
            answer = await self.client.request(
                "POST" if body is not None else method, path, json=body, headers=headers
            )
        except httpx.HTTPError as error:
            raise self._explain(error) from error
        return self._checked(answer)

    def _checked(self, answer: httpx.Response) -> Any:
        if answer.status_code == 401:
            raise IcingaError(f"Icinga 2 at {self.url}: user or password refused (401)")
        if answer.status_code == 403:
            raise IcingaError(f"Icinga 2 at {self.url}: the API user lacks a permission (403)")
        try:
            data = answer.json()
        except ValueError as error:
            raise IcingaError(
                f"Icinga 2 at {self.url}: HTTP {answer.status_code}, not JSON"
            ) from error
        if answer.status_code >= 400 and not (isinstance(data, dict) and "results" in data):
            status = data.get("status", "") if isinstance(data, dict) else ""
            raise IcingaError(f"Icinga 2 at {self.url}: HTTP {answer.status_code} {status}")
        return data

    def _explain(self, error: httpx.HTTPError) -> IcingaError:
        text = str(error) or error.__class__.__name__
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            ca = self.source.ca_file or "the system's CAs"
            return IcingaError(
                f"Icinga 2 at {self.url}: its certificate is not trusted by {ca}: {text}"
            )
        if isinstance(error, httpx.TimeoutException):
            return IcingaError(f"Icinga 2 at {self.url}: no answer within {self.timeout:g} s")
        if isinstance(error, httpx.ConnectError):
            return IcingaError(f"Icinga 2 at {self.url} does not answer: {text}")
        return IcingaError(f"Icinga 2 at {self.url}: {text}")

    async def states(self, kind: str) -> list[StateAttrs]:
        """Every host's or service's (`kind`) `StateAttrs`, no joins."""
        attrs = [name for name in _FIELDS if kind == "services" or name != "host_name"]
        body = {"attrs": attrs}
        headers = {"X-HTTP-Method-Override": "GET"}
        try:
            answer = await self.client.post(f"/v1/objects/{kind}", json=body, headers=headers)
        except httpx.HTTPError as error:
            raise self._explain(error) from error
        if answer.status_code != 200:
            self._checked(answer)
            raise IcingaError(f"Icinga 2 at {self.url}: {kind}: HTTP {answer.status_code}")
        try:
            return [item.attrs for item in _OBJECTS.decode(answer.content).results]
        except msgspec.DecodeError as error:
            raise IcingaError(
                f"Icinga 2 at {self.url}: {kind}: unexpected answer: {error}"
            ) from error

    async def status(self, component: str = "IcingaApplication") -> dict[str, Any]:
        """The cheap question: is the daemon there and answering (or a component's
        own figures)."""
        data = await self._request("GET", f"/v1/status/{component}")
        return data if isinstance(data, dict) else {}

    async def action(
        self, name: str, body: dict[str, Any], *, missing_ok: bool = False
    ) -> list[dict[str, Any]]:
        """`/v1/actions/NAME`; an HTTP error or a result whose code is not 2xx is an
        error. With `missing_ok`, a filter that matches nothing (404) is no result:
        removing what Icinga already removed (a downtime that ended) is done."""
        try:
            answer = await self.client.post(f"/v1/actions/{name}", json=body)
        except httpx.HTTPError as error:
            raise self._explain(error) from error
        if missing_ok and answer.status_code == 404:
            return []
        data = self._checked(answer)
        results = [r for r in data.get("results", []) if isinstance(r, dict)]
        failed = [r for r in results if not 200 <= int(r.get("code", 200)) < 300]
        if failed:
            raise IcingaError(f"Icinga 2 at {self.url}: {name}: {failed[0].get('status', '')}")
        if not results and answer.status_code >= 400:
            raise IcingaError(f"Icinga 2 at {self.url}: {name}: HTTP {answer.status_code}")
        return results

    async def events(
        self, queue: str, types: Sequence[str], opened: asyncio.Event | None = None
    ) -> AsyncIterator[Event]:
        """The event stream, one JSON object a line, until the connection drops; a
        line that is not an event is skipped. `opened` is set once Icinga has
        accepted the subscription: every event from then on comes."""
        body = {"queue": queue, "types": list(types)}
        try:
            async with self.client.stream(
                "POST", "/v1/events", json=body, timeout=httpx.Timeout(self.timeout, read=None)
            ) as answer:
                if answer.status_code != 200:
                    await answer.aread()
                    self._checked(answer)
                    raise IcingaError(f"Icinga 2 at {self.url}: events: HTTP {answer.status_code}")
                if opened is not None:
                    opened.set()
                async for line in answer.aiter_lines():
                    if not line.strip() or len(line) > MAX_EVENT_LINE:
                        continue
                    try:
                        event = _EVENT.decode(line)
                    except msgspec.DecodeError:
                        continue
                    yield event
        except httpx.HTTPError as error:
            raise self._explain(error) from error
