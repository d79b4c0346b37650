"""A console's bytes as plain text: control sequences and control characters out.

`plain_bytes` is one regex substitution, fine for a line. A transcript searched
whole (`transcript --grep` over 100 MB) holds millions of sequences, and the
regex costs ≈ 0.3 µs for each; but a console repeats a handful of them (its
colours, a title), so `Stripper` removes those with `bytes.replace`, block by
block, when every ESC of the block begins one of them, and otherwise falls
back to the regex for that block. Both give the same bytes (the tests hold it).
"""

from __future__ import annotations

import re
from collections import Counter

ESCAPES = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI
    rb"|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC (a title)
    rb"|[()*+][0-~]"  # charset designation
    rb"|[ -/]*[0-~]?)"  # other escapes
)
CONTROLS = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])  # all but tab and newline

# Sequences that ESCAPES matches whole wherever they stand, whatever follows: a
# complete CSI, an OSC ended by BEL. No two begin alike (one cannot be the start
# of another) and each holds one ESC, its first byte.
SELF_CONTAINED = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*\x07")
SPLIT = re.compile(b"(" + ESCAPES.pattern + b")")
BLOCK = 1024 * 1024  # cut after a newline: no sequence spans one
TRIED = 8  # the most frequent sequences tried on a block
LEARNED = 1000  # sequences of a block that fell back looked at, to learn the frequent ones
KEPT = 256  # sequences remembered


def plain_bytes(raw: bytes) -> bytes:
    """Without control sequences nor control characters (tab and newline kept, so
    that a file's lines stay its lines)."""
    if b"\x1b" in raw:
        raw = ESCAPES.sub(b"", raw)
    return raw.translate(None, CONTROLS)


def plain_text(raw: bytes) -> str:
    return plain_bytes(raw).decode("utf-8", "replace")


class Stripper:
    """`plain_bytes` for large texts; it learns the sequences a console repeats."""

    def __init__(self) -> None:
        self._seen: Counter[bytes] = Counter()

    def plain(self, data: bytes) -> bytes:
        pieces: list[bytes] = []
        start = 0
        while start < len(data):
            end = data.find(b"\n", start + BLOCK) + 1 or len(data)
            pieces.append(self._strip(data[start:end]))
            start = end
        return b"".join(pieces).translate(None, CONTROLS)

    def _strip(self, block: bytes) -> bytes:
        escapes = block.count(b"\x1b")
        if not escapes:
            return block
        known: list[bytes] = []
        for sequence, _count in self._seen.most_common(TRIED):
            if found := block.count(sequence):
                known.append(sequence)
                escapes -= found
                if not escapes:
                    break
        if not escapes:  # every ESC begins a known sequence: exactly ESCAPES' matches
            for sequence in known:
                block = block.replace(sequence, b"")
            return block
        parts = SPLIT.split(block)
        self._learn(parts[1 : 2 * LEARNED : 2])
        return b"".join(parts[::2])

    def _learn(self, sequences: list[bytes]) -> None:
        for sequence, count in Counter(sequences).items():
            if SELF_CONTAINED.fullmatch(sequence):
                self._seen[sequence] += count
        if len(self._seen) > 4 * KEPT:
            self._seen = Counter(dict(self._seen.most_common(KEPT)))
