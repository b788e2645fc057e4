"""A small grammar for doses, regimens and lab values, feeding `clepath.domain.units`.

Reads the normalised text (numbers as digits, no LaTeX, `x` for ×). Each match keeps its span:

* a dose: `18mg`, `30 mg`, `2 g/day`, `2g/kg`, `500 mg/kg/day`, `0.4 g/kg/d`, `5-10 g/day` (range);
* regimen words after a dose: `over 5 days`, `x 4 days`, `for 4 days`, `monthly`, `every 4 weeks`,
  `for 4 months`, `weekly`, `daily`, `/day` (daily);
* a lab value: `1300/mm3`, `1,300 cells/mm3`, `1.3 x 10^9/L`, `0.78 g/L`, `320 IU/mL`;
* a titre: `1:640`.

Units are checked by the project's UCUM parser; a number whose unit it cannot read is not a
quantity here (it is reported unresolved by the caller, never guessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clepath.domain.units import Quantity, UnitProblem, parse_quantity_text

__all__ = ["Dose", "LabValue", "Regimen", "find_dose", "find_lab_value", "find_regimen"]

_NUM = r"\d+(?:[.,]\d+)?"
_DOSE = re.compile(
    rf"(?<![\w.:/])(?P<num>{_NUM})(?:\s*-\s*(?P<hi>{_NUM}))?\s*(?P<mass>mg|g|gm|mcg|ug|µg|IU)"
    r"(?P<perkg>\s*/\s*kg)?(?P<per>\s*/\s*(?:day|d|24\s*h|week|wk|dose))?(?![\w])",
    re.IGNORECASE,
)
_OVER_DAYS = re.compile(
    rf"(?:over|x|for|during|across)\s+(?P<n>{_NUM})\s*(?:consecutive\s+)?days?\b", re.I
)
_EVERY = re.compile(
    rf"\b(?:(?P<monthly>monthly)|every\s+(?P<n>{_NUM})\s*(?P<u>weeks?|days?|months?)|"
    r"(?P<month1>every month|once a month)|(?P<weeks>(?P<wn>\d+)-weekly))\b",
    re.IGNORECASE,
)
_FOR_MONTHS = re.compile(rf"\bfor\s+(?P<n>{_NUM})\s*(?P<u>months?|cycles?|courses?|doses?)\b", re.I)
_CYCLES = re.compile(rf"\b(?P<n>{_NUM})\s*(?:cycles?|courses?|infusions?)\b", re.I)
_DURATION = re.compile(
    rf"\bfor\s+(?:the\s+)?(?:past|last)?\s*(?P<n>{_NUM})\s*(?P<u>days?|weeks?|months?|years?)\b",
    re.I,
)
_LAB_VALUE = re.compile(
    rf"(?<![\w.:/])(?P<num>\d{{1,3}}(?:,\d{{3}})+|{_NUM})\s*"
    r"(?P<unit>(?:cells\s*)?/\s*(?:mm3|mm\^3|uL|µL|mcL)|x\s*10\^?9\s*/\s*L|10\^9/L|"
    r"(?:mg|g|mmol|umol|µmol|IU|U|kU|ng|ug|mcg)\s*/\s*(?:dL|L|mL|24\s*h|day)|%)(?![\w])",
    re.IGNORECASE,
)
_TITRE = re.compile(r"(?<![\w.:])1\s*:\s*(?P<d>\d{2,6})(?![\w.:])")
_FREQ_WORDS = re.compile(
    r"\b(?P<f>once daily|twice daily|three times daily|daily|twice a day|once a day|"
    r"weekly|once weekly|twice weekly|every other day|alternate days|fortnightly|monthly|"
    r"bid|tid|qid|od)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Dose:
    """A dose as written: the quantity, its normalised span and the text."""

    start: int
    end: int
    text: str
    value: float
    high: float | None  # upper end of a range ("5-10 g/day"), else None
    unit: str  # UCUM, e.g. "mg", "g/kg", "mg/kg/d", "g/d"
    per_kg: bool
    per_day: bool


@dataclass(frozen=True)
class Regimen:
    """Regimen words found after a dose (each with its normalised span)."""

    days: tuple[int, int, int] | None = None  # (n, start, end)
    every: tuple[str, int, int] | None = None  # ("1 mo" | "4 wk" | "14 d", start, end)
    cycles: tuple[int, int, int] | None = None
    frequency: tuple[str, int, int] | None = None  # frequency words as written
    duration: tuple[str, int, int] | None = None  # "4 wk"


@dataclass(frozen=True)
class LabValue:
    """A lab number with its unit (UCUM), or a titre."""

    start: int
    end: int
    text: str
    quantity: Quantity | None
    titre: int | None


def _number(text: str) -> float:
    return (
        float(text.replace(",", ""))
        if re.fullmatch(r"\d{1,3}(,\d{3})+", text)
        else float(text.replace(",", "."))
    )


def find_dose(text: str, start: int, end: int) -> Dose | None:
    """The first dose in text[start:end]."""
    m = _DOSE.search(text, start, end)
    if not m:
        return None
    mass = m.group("mass").lower()
    mass = {"gm": "g", "µg": "ug", "mcg": "ug", "iu": "[iU]"}.get(mass, mass)
    per = (m.group("per") or "").replace(" ", "").lower()
    unit = mass + ("/kg" if m.group("perkg") else "")
    per_day = per in ("/day", "/d", "/24h")
    if per_day:
        unit += "/d"
    elif per in ("/week", "/wk"):
        unit += "/wk"
    try:
        quantity = parse_quantity_text(f"{_number(m.group('num'))} {unit}")
    except UnitProblem:
        return None
    high = _number(m.group("hi")) if m.group("hi") else None
    return Dose(
        m.start(),
        m.end(),
        m.group(0),
        quantity.value,
        high,
        quantity.unit,
        bool(m.group("perkg")),
        per_day,
    )


def find_regimen(text: str, start: int, end: int) -> Regimen:
    """Regimen words in text[start:end] (after a dose, to the end of its clause)."""
    days = every = cycles = freq = duration = None
    if m := _OVER_DAYS.search(text, start, end):
        days = (int(_number(m.group("n"))), m.start(), m.end())
    if m := _EVERY.search(text, start, end):
        if m.group("monthly") or m.group("month1"):
            every = ("1 mo", m.start(), m.end())
        elif m.group("weeks"):
            every = (f"{m.group('wn')} wk", m.start(), m.end())
        else:
            unit = {"w": "wk", "d": "d", "m": "mo"}[m.group("u")[0].lower()]
            every = (f"{int(_number(m.group('n')))} {unit}", m.start(), m.end())
    if every is not None:
        if m := _FOR_MONTHS.search(text, every[2], end):
            n = int(_number(m.group("n")))
            if m.group("u").lower().startswith("month") and every[0] == "1 mo":
                cycles = (n, m.start(), m.end())
            elif not m.group("u").lower().startswith("month"):
                cycles = (n, m.start(), m.end())
    if cycles is None and (m := _CYCLES.search(text, start, end)):
        cycles = (int(_number(m.group("n"))), m.start(), m.end())
    if m := _FREQ_WORDS.search(text, start, end):
        freq = (m.group("f"), m.start(), m.end())
    if m := _DURATION.search(text, start, end):
        if days is None or m.start() != days[1]:
            unit = {"d": "d", "w": "wk", "m": "mo", "y": "a"}[m.group("u")[0].lower()]
            duration = (f"{int(_number(m.group('n')))} {unit}", m.start(), m.end())
    return Regimen(days, every, cycles, freq, duration)


def find_lab_value(text: str, start: int, end: int) -> LabValue | None:
    """The first lab value or titre in text[start:end]."""
    titre = _TITRE.search(text, start, end)
    value = _LAB_VALUE.search(text, start, end)
    if titre and (not value or titre.start() < value.start()):
        return LabValue(titre.start(), titre.end(), titre.group(0), None, int(titre.group("d")))
    if not value:
        return None
    unit = re.sub(r"\s+", "", value.group("unit"))
    unit = re.sub(r"^x10\^?9", "10^9", unit, flags=re.IGNORECASE)
    unit = {"%": "%"}.get(unit, unit)
    try:
        quantity = parse_quantity_text(f"{_number(value.group('num'))} {unit}")
    except UnitProblem:
        try:
            quantity = parse_quantity_text(f"{_number(value.group('num'))} {unit.lower()}")
        except UnitProblem:
            return None
    return LabValue(value.start(), value.end(), value.group(0), quantity, None)
