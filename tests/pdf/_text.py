"""Reading the text of an uncompressed reportlab PDF: the strings shown between BT and ET."""

from __future__ import annotations

import re

__all__ = ["pdf_text"]

_BLOCK = re.compile(rb"\bBT\b(.*?)\bET\b", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def _strings(block: str) -> list[str]:
    """The literal strings `( ... )` of one text block, unescaped."""
    out: list[str] = []
    i = 0
    while i < len(block):
        if block[i] != "(":
            i += 1
            continue
        depth, i, chars = 1, i + 1, []
        while i < len(block) and depth:
            char = block[i]
            if char == "\\":
                nxt = block[i + 1]
                if nxt.isdigit():
                    digits = re.match(r"[0-7]{1,3}", block[i + 1 :])
                    assert digits is not None
                    chars.append(chr(int(digits.group(), 8)))
                    i += 1 + len(digits.group())
                    continue
                chars.append(_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth:
                chars.append(char)
            i += 1
        out.append("".join(chars))
    return out


def pdf_text(pdf: bytes) -> str:
    """Every shown string in page order, joined by spaces, whitespace collapsed.

    ASCII text keeps its own codes in reportlab's font subsets, so words can be searched;
    characters outside ASCII come out as subset codes and are not readable here.
    """
    parts: list[str] = []
    for block in _BLOCK.findall(pdf):
        parts.extend(_strings(block.decode("latin-1")))
    return " ".join(" ".join(parts).split())
