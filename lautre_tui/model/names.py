"""What a name in a layout may be: names that reach file paths, host names that
reach a resolver, and free text that reaches a terminal.

Each function returns the problem in words, or None when the value is sound, so
that the loader can put it at the value's line and column.
"""

from __future__ import annotations

import ipaddress
import re
import string

# Device, strip and console server names become file names (transcripts, locks)
# and words on a command line: letters, digits and `._-`, starting with a letter
# or digit (no `..`, no `/`, no leading `-` taken for an option).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# A label of a DNS name or of an ~/.ssh/config alias: `_` is common in aliases.
LABEL_PATTERN = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
MAX_HOST_NAME = 253
CONTROL = {chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
TEXT_CONTROL = CONTROL - {"\n", "\t"}
URL_FIELDS = ("port", "tcp_port")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a device, a strip or a console server."""
    if NAME_PATTERN.fullmatch(name) is None or ".." in name:
        return (
            f"{name!r} is not a usable name: letters, digits, '.', '_' and '-', "
            "starting with a letter or a digit, at most 63 characters"
        )
    return None


def host_problem(host: str) -> str | None:
    """Why no resolver and no ~/.ssh/config alias would accept `host`.

    IP literals must parse; anything that looks numeric must be a valid IPv4
    address (`10.0.0.256` is a typo, not a name); names are dot-separated labels."""
    if not host or len(host) > MAX_HOST_NAME:
        return f"host name {host!r} must have 1 to {MAX_HOST_NAME} characters"
    if any(char in CONTROL or char.isspace() for char in host):
        return f"host name {host!r} contains spaces or control characters"
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in literal:
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return f"{host!r} is not a valid IPv6 address"
        return None
    labels = host.rstrip(".").split(".") if host != "." else [""]
    if all(label.isdigit() for label in labels if label) and labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"{host!r} is not a valid IPv4 address"
        return None
    for label in labels:
        if not label:
            return f"host name {host!r} has an empty label (two dots, or a leading dot)"
        if LABEL_PATTERN.fullmatch(label) is None:
            return (
                f"host name {host!r}: label {label!r} must be letters, digits, '-' or '_', "
                "not starting or ending with '-', at most 63 characters"
            )
    return None


def text_problem(text: str) -> str | None:
    """Free text (roles, notes, check names) is shown on terminals: no escapes."""
    if any(char in TEXT_CONTROL for char in text):
        return f"{text[:40]!r} contains control characters"
    return None


def url_template_problem(url: str) -> str | None:
    """A console URL template may use `{port}` and `{tcp_port}` as they are: no
    format specification (`{tcp_port:>2000000000}` allocates gigabytes), no
    conversion, no attribute or index (`{port.__class__}`)."""
    try:
        fields = list(string.Formatter().parse(url))
    except ValueError as error:
        return f"url is not a valid template ({error}); write {{{{ and }}}} for braces"
    for _text, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in URL_FIELDS or spec or conversion is not None:
            shown = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return f"url may only use {{port}} and {{tcp_port}}, as they are, not {shown}"
    return None


def printable(text: str) -> str:
    """`text` with control characters (escape sequences, bells, carriage returns)
    replaced by `�`, line breaks kept: what a host sends never drives a terminal."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == "\n" else "\ufffd" for char in text)
