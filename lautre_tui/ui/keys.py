"""What each key sends down a serial console, as an xterm/VT100 would.

Pure data and one function, so the table is tested on its own. While a console
has the focus every key goes to the host, Ctrl-C, Ctrl-Z and Ctrl-D included;
only the escape key (Ctrl-] by default, like telnet and conserver) stays ours.
"""

from __future__ import annotations

ESC = "\x1b"
DEFAULT_ESCAPE_KEY = "ctrl+right_square_bracket"

NAMED: dict[str, bytes] = {
    "enter": b"\r",
    "backspace": b"\x7f",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "escape": b"\x1b",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "insert": b"\x1b[2~",
    "delete": b"\x1b[3~",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "f1": b"\x1bOP",
    "f2": b"\x1bOQ",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f5": b"\x1b[15~",
    "f6": b"\x1b[17~",
    "f7": b"\x1b[18~",
    "f8": b"\x1b[19~",
    "f9": b"\x1b[20~",
    "f10": b"\x1b[21~",
    "f11": b"\x1b[23~",
    "f12": b"\x1b[24~",
    "ctrl+at": b"\x00",
    "ctrl+space": b"\x00",
    "ctrl+backslash": b"\x1c",
    "ctrl+circumflex_accent": b"\x1e",
    "ctrl+underscore": b"\x1f",
}


def key_bytes(key: str, character: str | None) -> bytes | None:
    """The bytes for a Textual key event (`key`, `character`), or None if none."""
    if key in NAMED:
        return NAMED[key]
    if key.startswith("ctrl+") and len(key) == 6 and key[5].isalpha():
        return bytes((ord(key[5].lower()) - ord("a") + 1,))
    if key.startswith(("alt+", "meta+")):
        rest = key.split("+", 1)[1]
        inner = key_bytes(rest, rest if len(rest) == 1 else None)
        return ESC.encode() + inner if inner is not None else None
    if character is not None and character.isprintable():
        return character.encode("utf-8")
    return None
