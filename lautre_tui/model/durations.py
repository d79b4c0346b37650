"""Durations as admins write them in a layout: `90s`, `10m`, `26h`, `2d`, or seconds."""

from __future__ import annotations

import math
import re

MAX_SECONDS = 10**12  # about 30,000 years: anything larger is a typo
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(text: str | int | float) -> float:
    """Seconds in `text`; raises ValueError with a message fit for the admin."""
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 90s, 10m, 26h or 2d")
    if isinstance(text, (int, float)):
        if isinstance(text, int) and abs(text) > MAX_SECONDS:  # float() would overflow
            raise ValueError("a duration that large is not a duration")
        if not math.isfinite(text):
            raise ValueError("a duration must be a finite number of seconds")
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    match = DURATION_PATTERN.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (such as 90s, 10m, 26h or 2d)")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise ValueError(f"{text!r}: a duration that large is not a duration")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form, the largest two units: `3d 4h`, `12m 5s`, `40s`."""
    seconds = max(0, int(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            value, seconds = divmod(seconds, size)
            parts.append(f"{value}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)
