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


def test_the_literal_every_match_holds() -> None:
    assert history.required_literal(r"\d{6}00 lautre-tui") == "00 lautre-tui"
    assert history.required_literal("kernel panic") == "kernel panic"
    assert history.required_literal("x+yzw") == "yzw"  # runs are not joined across `+`
    assert history.required_literal("abcd?e") == "abc"  # d may be missing
    assert history.required_literal("(foo)?barbaz") == "barbaz"  # the group may be missing
    for unsure in ("abc|xyz", "[abc]def", "(?i)abcdef", "ab", r"\.\.\."):
        assert history.required_literal(unsure) is None, unsure


PATTERN_PIECES = ["ab", "c", "d", "x", " ", "-", "?", "*", "+", r"\d", ".", "(", ")", "{2}", "^"]
TEXT_PIECES = ["ab", "abc", "cd", "x", "xx", " ", "-", "12", "\n", "d", "ab-cd", "\r"]


@given(
    st.lists(st.sampled_from(PATTERN_PIECES), min_size=1, max_size=8),
    st.lists(st.sampled_from(TEXT_PIECES), max_size=60),
)
@settings(max_examples=400, deadline=None)
def test_lines_found_through_the_literal_are_those_the_regex_finds(
    pieces: list[str], text_pieces: list[str]
) -> None:
    """Whatever the pattern: the same lines as testing every line with the regex."""
    try:
        pattern = re.compile("".join(pieces))
    except re.error:
        return
    text = "".join(text_pieces)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # after the last newline (or in an empty text) there is no line
    expected, start = [], 0
    for number, line in enumerate(lines):
        if pattern.search(line) is not None:
            expected.append((start, number))
        start += len(line) + 1
    assert list(history.matching_lines(text, pattern, "\n")) == expected
    as_bytes = re.compile(pattern.pattern.encode())
    assert list(history.matching_lines(text.encode(), as_bytes, b"\n")) == expected
