"""Checks of a layout value beyond its type, named by a declaration's `check`.

Each takes the value its declaration read and returns it, or None after saying in
the reader's errors why it is refused (FILE:LINE:COL of the value's node).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from lautre_tui.model.breaks import MAX_BREAKS, BreakSequence
from lautre_tui.model.console_url import URL_OPTIONS, url_options_problem
from lautre_tui.model.errors import LayoutError, did_you_mean
from lautre_tui.model.names import url_template_problem
from lautre_tui.model.reader import Reader
from lautre_tui.model.schema import keys
from lautre_tui.model.status_source import template_problem, url_problem
from lautre_tui.model.wiring import BAUD_RATES, Pdu


def _driver(reader: Reader, node: yaml.Node, driver: str, what: str, label: str) -> str | None:
    drivers = [str(value) for value in keys(Pdu)["driver"].spec.values]
    if driver not in drivers:
        reader.error(node, f"{what}: unknown driver {driver!r}{did_you_mean(driver, drivers)}")
        return None
    return driver


def _console_url(reader: Reader, node: yaml.Node, url: str, what: str, label: str) -> str | None:
    schemes = tuple(URL_OPTIONS)
    if not url.startswith(schemes):
        reader.error(node, f"{what}: url must start with one of {', '.join(schemes)}")
        return None
    problem = url_template_problem(url)
    if problem is not None:
        reader.error(node, f"{what}: {problem}")
        return None
    example = url.format(port=1, tcp_port=1)  # plain fields only: safe to format
    problem = url_options_problem(example)
    if problem is not None:
        reader.error(node, f"{what}: url {problem}")
        return None
    return url


def _baud(reader: Reader, node: yaml.Node, baud: int, what: str, label: str) -> int | None:
    if baud not in BAUD_RATES:
        rates = ", ".join(str(rate) for rate in BAUD_RATES)
        reader.error(node, f"{label} {baud} is not a standard rate ({rates})")
        return None
    return baud


def _break_list(
    reader: Reader, node: yaml.Node, found: tuple[BreakSequence, ...], what: str, label: str
) -> tuple[BreakSequence, ...]:
    """At most one per menu key, each name once."""
    if len(found) > MAX_BREAKS:
        reader.error(node, f"{label}: at most {MAX_BREAKS} (menu keys 1-{MAX_BREAKS})")
    kept: dict[str, BreakSequence] = {}
    for sequence in found[:MAX_BREAKS]:
        if sequence.name in kept:
            reader.errors.append(
                LayoutError(sequence.position, f"{label}: {sequence.name!r} is named twice")
            )
        else:
            kept[sequence.name] = sequence
    return tuple(kept.values())


def _icinga_url(reader: Reader, node: yaml.Node, url: str, what: str, label: str) -> str | None:
    problem = url_problem(url)
    if problem is not None:
        reader.error(node, f"{label}: {problem}")
        return None
    return url


def _icinga_host_name(
    reader: Reader, node: yaml.Node, template: str, what: str, label: str
) -> str | None:
    problem = template_problem(template)
    if problem is not None:
        reader.error(node, f"{label}: {problem}")
        return None
    return template


# Checks beyond a value's type, named by a declaration's `check`.
KEY_CHECKS: dict[str, Callable[[Reader, yaml.Node, Any, str, str], Any]] = {
    "pdu-driver": _driver,
    "console-url": _console_url,
    "baud-rate": _baud,
    "break-list": _break_list,
    "icinga-url": _icinga_url,
    "icinga-host-name": _icinga_host_name,
}
