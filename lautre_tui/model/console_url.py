"""Console server URLs: the protocol a URL implies and pyserial's options after
`?`, checked when a layout is read and again when a console is opened."""

from __future__ import annotations

from lautre_tui.model.errors import did_you_mean
from lautre_tui.model.kinds import ConsoleProtocol

# pyserial's URL options, by scheme (`rfc2217://host:port?ign_set_control&timeout=5`)
LOGGING_LEVELS = ("debug", "info", "warning", "error")
URL_OPTIONS: dict[str, tuple[str, ...]] = {
    "rfc2217://": ("ign_set_control", "poll_modem", "timeout", "logging"),
    "socket://": ("logging",),
    "loop://": ("logging",),
    "/dev/": (),
}


def protocol_of_url(url: str) -> ConsoleProtocol:
    """The protocol a console URL implies when the layout does not say."""
    if url.startswith("rfc2217://"):
        return ConsoleProtocol.RFC2217
    if url.startswith("/dev/"):
        return ConsoleProtocol.TTY
    return ConsoleProtocol.RAW


def url_options_problem(url: str) -> str | None:
    """What is wrong with the pyserial options of a console URL (`?a&b=c`), or None."""
    scheme = next((s for s in URL_OPTIONS if url.startswith(s)), None)
    if scheme is None:
        return None  # the scheme itself is checked elsewhere
    allowed = URL_OPTIONS[scheme]
    _base, _mark, query = url.partition("?")
    if not query:
        return None
    if not allowed:
        return f"takes no options after '?' ({scheme} URLs have none)"
    seen: set[str] = set()
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        if name not in allowed:
            hint = did_you_mean(name, allowed)
            return f"option {name!r} is not one of {', '.join(allowed)}{hint}"
        if name in seen:
            return f"option {name!r} is given twice"
        seen.add(name)
        if name in ("ign_set_control", "poll_modem") and equals:
            return f"option {name!r} takes no value (write ?{name})"
        if name == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                return f"option 'timeout' must be a number of seconds, not {value!r}"
            if not 0 < seconds <= 60:
                return f"option 'timeout' must be between 0 and 60 seconds, not {value}"
        if name == "logging" and value not in LOGGING_LEVELS:
            return f"option 'logging' must be one of {', '.join(LOGGING_LEVELS)}, not {value!r}"
    return None
