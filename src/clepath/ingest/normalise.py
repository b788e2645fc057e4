"""Text normalisation that remembers where every character came from.

Case-report text arrives with LaTeX (`$1300/\\text{mm}^3$`), typographic dashes, the multiplication
sign, superscript digits, non-breaking spaces and numbers written as words. The grammar downstream
reads one plain form; each character of that form keeps the span of the original characters it
stands for, so every extracted value can cite the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NUMBER_WORDS", "Normalised", "normalise"]

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

_PATTERN = re.compile(
    r"(?P<latex>\$[^$\n]{1,120}\$)"
    r"|(?P<tens>\b(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-"
    r"(?:one|two|three|four|five|six|seven|eight|nine)\b)"
    rf"|(?P<word>\b(?:{'|'.join(NUMBER_WORDS)})\b)"
    r"|(?P<tenpow>10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)"
    r"|(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)"
    r"|(?P<dash>[\u2010\u2011\u2012\u2013\u2014\u2015\u2212])"
    r"|(?P<times>[×\u2715\u2716])"
    r"|(?P<space>[\u00a0\u2009\u202f\u2002\u2003\u200a])"
    r"|(?P<squote>[\u2018\u2019\u2032])"
    r"|(?P<dquote>[\u201c\u201d\u2033])"
    r"|(?P<micro>\u00b5|\u03bc)",
    re.IGNORECASE,
)
_TEX_COMMAND = re.compile(r"\\(?:text|mathrm|textrm|mbox|rm)\s*\{([^{}]*)\}")
_TEX_POWER = re.compile(r"\^\{?([-\d]+)\}?")


@dataclass(frozen=True)
class Normalised:
    """Normalised text with, per character, the original span it came from."""

    text: str
    original: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text behind normalised characters [start, end)."""
        if end <= start:
            return (self.starts[start] if start < len(self.starts) else len(self.original),) * 2
        return self.starts[start], self.ends[end - 1]

    def original_text(self, start: int, end: int) -> str:
        """The original characters behind normalised characters [start, end)."""
        s, e = self.original_span(start, end)
        return self.original[s:e]


def _latex(body: str) -> str:
    inner = body[1:-1]
    inner = _TEX_COMMAND.sub(r"\1", inner)
    inner = inner.replace("\\times", " x ").replace("\\cdot", " x ").replace("\\,", " ")
    inner = inner.replace("\\mu", "u").replace("\\%", "%").replace("\\ ", " ")

    def power(match: re.Match[str]) -> str:
        before = inner[: match.start()]
        return ("^" if before.endswith("10") else "") + match.group(1)

    inner = _TEX_POWER.sub(power, inner)
    return re.sub(r"[{}\\]", "", inner).strip()


def _replacement(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group(0)
    if kind == "latex":
        return _latex(text)
    if kind == "tens":
        tens, unit = text.lower().split("-")
        return str(NUMBER_WORDS[tens] + NUMBER_WORDS[unit])
    if kind == "word":
        return str(NUMBER_WORDS[text.lower()])
    if kind == "tenpow":
        return "10^" + text[2:].translate(_SUPERSCRIPTS)
    if kind == "sup":
        return text.translate(_SUPERSCRIPTS)
    if kind == "dash":
        return "-"
    if kind == "times":
        return "x"
    if kind == "space":
        return " "
    if kind == "squote":
        return "'"
    if kind == "dquote":
        return '"'
    if kind == "micro":
        return "u"
    return text  # pragma: no cover - every group is handled above


def normalise(text: str) -> Normalised:
    """Rewrite `text` into the grammar's plain form, keeping an offset map to the original."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for match in _PATTERN.finditer(text):
        for i in range(position, match.start()):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        replacement = _replacement(match)
        out.append(replacement)
        starts.extend([match.start()] * len(replacement))
        ends.extend([match.end()] * len(replacement))
        position = match.end()
    for i in range(position, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return Normalised("".join(out), text, tuple(starts), tuple(ends))
