"""Plain text of large transcripts: the fast stripper gives exactly the regex's
bytes, whatever the mix of sequences, and a search finds the same lines on the
bytes path (ASCII) and on the text path."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lautre_tui.services.console import history, plaintext
from lautre_tui.services.console.plaintext import ESCAPES, Stripper, plain_bytes
from lautre_tui.services.console.transcript import Transcript, transcript_path

PIECES = [
    b"\x1b[0m",
    b"\x1b[1;32m",
    b"\x1b[33m",
    b"\x1b[12;40H",
    b"\x1b]0;root@eva: ~\x07",
    b"\x1b]0;a title\x1b\\",
    b"\x1b]0;unended",
    b"\x1b(B",
    b"\x1b(",
    b"\x1b[1",
    b"\x1b",
    b"\x1b7",
    b"[33m",
    b"m",
    b"0",
    b"root@eva:~# ls\r\n",
    b"\n",
    b"\x07\x7f\t",
    "é".encode(),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=400), st.integers(1, 64))
def test_the_stripper_gives_the_regex_bytes(pieces: list[bytes], block: int) -> None:
    data = b"".join(pieces)
    stripper = Stripper()
    original = plaintext.BLOCK
    plaintext.BLOCK = block  # many blocks, so that the learned sequences are used
    try:
        # twice: the second time every block can go the fast way
        assert stripper.plain(data) == plain_bytes(data)
        assert stripper.plain(data) == plain_bytes(data)
    finally:
        plaintext.BLOCK = original


def test_the_fast_way_is_taken_for_a_console_that_repeats_its_colours() -> None:
    line = b"\x1b[1;32mroot@eva\x1b[0m:~# \x1b]0;eva\x07ls\r\n"
    stripper = Stripper()
    data = line * 200_000  # several blocks
    assert stripper.plain(data) == ESCAPES.sub(b"", data).translate(None, plaintext.CONTROLS)
    assert set(stripper._seen) == {b"\x1b[1;32m", b"\x1b[0m", b"\x1b]0;eva\x07"}


def test_a_search_finds_the_same_lines_in_ascii_and_in_utf_8() -> None:
    ascii_only = b"\x1b[31mdisk 1 \x1b[0mfailed\r\nok\r\ndisk 22 failed\r\n"
    for data in (ascii_only, ascii_only + "démarrage\r\n".encode()):
        transcript_path("eva").unlink(missing_ok=True)
        transcript = Transcript("eva")
        transcript.write(data)
        transcript.close()
        for pattern, expected in [
            (r"disk \d+ failed", [b"\x1b[31mdisk 1 \x1b[0mfailed", b"disk 22 failed"]),
            (r"(?i)DISK 22", [b"disk 22 failed"]),
            (r"^ok$", [b"ok"]),
        ]:
            found = history.file_matches(transcript_path("eva"), re.compile(pattern))
            assert [line.raw for line in found] == expected
