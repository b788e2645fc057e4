"""Quantities with units, read and converted through UCUM (ucumvert on top of pint).

A quantity is written as a string (`60 kg`, `132 lb`, `5 ft 2 in`, `1300 /mm3`) or as a mapping
`{value: 60, unit: kg}`. Units are converted, never guessed: a bare number where a unit is
needed is an error. Common non-UCUM spellings (lb, ft, in, x10^9/L, IU/mL, °C) are accepted as
aliases of their UCUM codes; everything else must be valid UCUM. A spelling that differs from a
clinical unit only in letter case (`Mg`, `MG`, `ML`) is refused with the likely unit suggested:
UCUM is case-sensitive and `Mg` is a megagram.

Speed and threads: the units clepath uses are looked up in a precomputed table
(`clepath.domain._unit_table`, generated from ucumvert/pint by `scripts/gen_unit_table.py` and
checked against them by the tests), so a cold `clepath assess` never builds the UCUM registry.
Any other unit goes through ucumvert on top of pint, the source of truth; that registry is built
once, under a lock (its set-up is not thread-safe); `warm_up()` starts building it in the
background when a server starts, so the server's first answer does not wait for it.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from clepath.domain._unit_table import ARBITRARY, TABLE

__all__ = [
    "Quantity",
    "Titre",
    "UnitProblem",
    "convert",
    "is_convertible",
    "normalise_unit",
    "parse_quantity_text",
    "parse_titre",
    "warm_up",
]


class UnitProblem(ValueError):
    """A unit or quantity could not be read or converted (turned into a CaseError by callers).

    `suggestions` holds the likely intended spelling when there is one (e.g. `mg` for `Mg`).
    """

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suggestions = suggestions


# Unit atoms whose letter case carries meaning in UCUM (m- milli vs M- mega, g gram vs G gauss,
# L litre, a year vs A ampere, ...). Any other casing of these is refused, never guessed.
_CASED_ATOMS = {
    atom.lower(): atom
    for atom in (
        "mg g kg ug ng pg mL L dL uL mmol umol nmol mol cm mm m d h wk min mo a s U mU"
    ).split()
}
_LETTERS = re.compile(r"[A-Za-z]+")
_ANNOTATION = re.compile(r"\{[^}]*\}")


# Everyday spellings mapped to UCUM codes. Keys are compared case-insensitively.
_ALIASES: dict[str, str] = {
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "pound": "[lb_av]",
    "pounds": "[lb_av]",
    "oz": "[oz_av]",
    "ft": "[ft_i]",
    "foot": "[ft_i]",
    "feet": "[ft_i]",
    "'": "[ft_i]",
    "in": "[in_i]",
    "inch": "[in_i]",
    "inches": "[in_i]",
    '"': "[in_i]",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "gram": "g",
    "grams": "g",
    "gm": "g",
    "x10^9/l": "10*9/L",
    "x10*9/l": "10*9/L",
    "10^9/l": "10*9/L",
    "g/l (cells)": "10*9/L",
    "x 10^9/l": "10*9/L",
    "×10^9/l": "10*9/L",
    "×10⁹/l": "10*9/L",
    "10⁹/l": "10*9/L",
    "/ul": "/uL",
    "/µl": "/uL",
    "cells/ul": "/uL",
    "cells/µl": "/uL",
    "/mcl": "/uL",
    "cells/mm3": "/mm3",
    "/mm^3": "/mm3",
    "/mm³": "/mm3",
    "cells/mm^3": "/mm3",
    "µmol/l": "umol/L",
    "mcmol/l": "umol/L",
    "micromol/l": "umol/L",
    "iu/ml": "[iU]/mL",
    "u/ml": "[iU]/mL",
    "ui/ml": "[iU]/mL",
    "°c": "Cel",
    "c": "Cel",
    "degc": "Cel",
    "celsius": "Cel",
    "°f": "[degF]",
    "f": "[degF]",
    "degf": "[degF]",
    "weeks": "wk",
    "week": "wk",
    "w": "wk",
    "days": "d",
    "day": "d",
    "months": "mo",
    "month": "mo",
    "years": "a",
    "year": "a",
    "yr": "a",
    "y": "a",
    "hours": "h",
    "hour": "h",
    "hr": "h",
    "minutes": "min",
    "minute": "min",
    "mcg": "ug",
    "µg": "ug",
    "joints": "{joints}",
    "joint": "{joints}",
    "mg/kg/day": "mg/kg/d",
    "mg/kg/d": "mg/kg/d",
    "g/24h": "g/(24.h)",
    "g/24 h": "g/(24.h)",
    "g/day": "g/d",
    "ml": "mL",
    "dl": "dL",
    "l": "L",
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "g/l": "g/L",
    "mg/l": "mg/L",
    "mmol/l": "mmol/L",
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_COMPOUND = re.compile(
    rf"^\s*({_NUMBER})\s*(ft|feet|foot|')\s*({_NUMBER})\s*(in|inch|inches|\")?\s*$",
    re.IGNORECASE,
)
_TITRE = re.compile(r"^\s*1\s*:\s*(\d{1,12})\s*$")  # no dilution needs more digits


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number and its UCUM unit (`unit` is the UCUM code, `1` for a pure number)."""

    value: float
    unit: str

    def to(self, unit: str) -> float:
        """This quantity's magnitude in `unit` (raises UnitProblem if not convertible)."""
        return convert(self.value, self.unit, unit)

    def __str__(self) -> str:
        shown = f"{self.value:g}"
        return shown if self.unit == "1" else f"{shown} {self.unit}"


@dataclass(frozen=True, slots=True)
class Titre:
    """A dilution titre written 1:N (e.g. an ANA of 1:160)."""

    denominator: int

    def __str__(self) -> str:
        return f"1:{self.denominator}"


_LOCK = threading.RLock()  # pint/ucumvert set-up and parsing are not thread-safe
_REGISTRY: Any = None


def _registry() -> Any:
    """The ucumvert/pint registry, built once (about 1 s) under the lock."""
    global _REGISTRY
    if _REGISTRY is None:
        with _LOCK:
            if _REGISTRY is None:
                from ucumvert import PintUcumRegistry  # heavy: loaded once, on first use

                _REGISTRY = PintUcumRegistry()
    return _REGISTRY


_BUILDER: threading.Thread | None = None
_BUILDER_LOCK = threading.Lock()


def _build() -> None:
    with _LOCK:
        _ucum_unit("/uL")


def warm_up(*, wait: bool = False, delay_s: float = 0.0) -> None:
    """Start building the UCUM registry in a background thread (call when a server starts): the
    server answers at once, the units of the precomputed table never wait, and a unit beyond
    the table waits, under the lock, only for what is left of the build (about 1 s in all).
    `delay_s` lets the thread wait that long before it starts (a server passes about a second,
    so the build does not compete for the CPU with its start; a unit needed sooner builds the
    registry itself, under the same lock). `wait=True` builds it at once, before returning."""
    global _BUILDER
    if wait:
        _build()  # in this thread, under the lock (a build under way is waited for)
        return
    delay = max(0.0, delay_s)

    def build() -> None:
        if delay:
            time.sleep(delay)
        _build()

    with _BUILDER_LOCK:  # not _LOCK, which the builder holds until it is done
        if _REGISTRY is None and (_BUILDER is None or not _BUILDER.is_alive()):
            _BUILDER = threading.Thread(target=build, name="clepath-ucum-registry", daemon=True)
            _BUILDER.start()


@functools.cache
def _ucum_unit(code: str) -> Any:
    registry = _registry()
    with _LOCK:
        try:
            return registry.from_ucum(code)
        except Exception as exc:  # ucumvert raises lark and pint errors of several kinds
            raise UnitProblem(f"{code!r} is not a UCUM unit") from exc


@functools.lru_cache(maxsize=1024)
def _case_slip(text: str) -> str | None:
    """The clinical spelling of a unit written with the wrong letter case (`Mg` -> `mg`).

    Pure, and unit spellings are few (kg, g/L, 10*9/L...): remembered per spelling, bounded."""
    plain = _ANNOTATION.sub("", text)
    slipped = False

    def fix(match: re.Match[str]) -> str:
        nonlocal slipped
        word = match.group(0)
        atom = _CASED_ATOMS.get(word.lower())
        if atom is None or atom == word:
            return word
        slipped = True
        return atom

    fixed = _LETTERS.sub(fix, plain)
    return fixed if slipped else None


def normalise_unit(text: str) -> str:
    """Map an everyday spelling to its UCUM code and check that UCUM can read it."""
    stripped = text.strip()
    if stripped in ("", "1"):
        return "1"
    if stripped.startswith("{") and stripped.endswith("}"):
        return "1"  # a UCUM annotation alone, e.g. {joints}: a count
    code = _ALIASES.get(stripped)
    if code is None:
        fixed = _case_slip(stripped)
        if fixed is not None:
            intended = _ALIASES.get(fixed.lower(), fixed)
            raise UnitProblem(
                f"{stripped!r} differs from {intended!r} only in letter case; UCUM units are "
                "case-sensitive (M- is mega-, m- is milli-), so it is not read",
                (intended,),
            )
        code = _ALIASES.get(stripped.lower(), stripped)
    if code.startswith("{"):
        return "1"
    if code not in TABLE:
        _ucum_unit(code)
    return code


_ATOM = re.compile(r"\[[^\]]*\]")


def _arbitrary_atoms(code: str) -> list[str]:
    """The UCUM arbitrary units in a code, sorted ([IU] read as [iU], its UCUM synonym)."""
    found = (a for a in _ATOM.findall(code) if a in ARBITRARY)
    return sorted("[iU]" if a == "[IU]" else a for a in found)


@functools.cache
def _factor(from_code: str, to_code: str) -> tuple[float, float] | None:
    """(scale, offset) such that to = from*scale + offset, or None if not convertible.

    An arbitrary unit (UCUM: [iU], [GPL'U], [MPL'U], [CFU] ...) is commensurable only with
    itself: pint counts it as dimensionless, which would turn 5 [iU]/mL into a cell count or an
    IgG GPL value into an IgM MPL value; such pairs are not convertible."""
    if from_code == to_code:
        return (1.0, 0.0)
    if from_code == "1" or to_code == "1":
        return None
    if _arbitrary_atoms(from_code) != _arbitrary_atoms(to_code):
        return None
    known_from, known_to = TABLE.get(from_code), TABLE.get(to_code)
    if known_from is not None and known_to is not None:
        if known_from[2] != known_to[2]:
            return None
        # base = value*scale + offset for each unit; solve for the target unit
        return (known_from[0] / known_to[0], (known_from[1] - known_to[1]) / known_to[0])
    source, target = _ucum_unit(from_code), _ucum_unit(to_code)
    with _LOCK:
        make = _registry().Quantity
        try:
            if _is_offset(from_code, to_code):
                zero = make(0.0, source.units).to(target.units).magnitude * 1.0
                one = make(1.0, source.units).to(target.units).magnitude * 1.0
            else:
                zero, one = 0.0, (1 * source).to(target).magnitude
        except Exception:  # pint's DimensionalityError and offset errors
            return None
    return (float(one) - float(zero), float(zero))


def table_entry(code: str) -> tuple[float, float, str]:
    """(scale, offset, base dimensions) of a UCUM code, computed by pint (for the table)."""
    unit = _ucum_unit(code)
    with _LOCK:
        make = _registry().Quantity
        zero = make(0.0, unit.units).to_base_units() if _is_offset(code) else None
        base = (1 * unit).to_base_units() if zero is None else make(1.0, unit.units).to_base_units()
        offset = float(zero.magnitude) if zero is not None else 0.0
        scale = float(base.magnitude) - offset
        dims = ".".join(f"{k}^{v:g}" for k, v in sorted(dict(base.dimensionality).items()))
    return (scale, offset, dims or "1")


def _is_offset(*codes: str) -> bool:
    return any(c in ("Cel", "[degF]") for c in codes)


def is_convertible(from_code: str, to_code: str) -> bool:
    """True when a quantity in `from_code` can be expressed in `to_code`."""
    try:
        return _factor(from_code, to_code) is not None
    except UnitProblem:
        return False


def convert(value: float, from_code: str, to_code: str) -> float:
    """Convert `value` from one UCUM unit to another."""
    factor = _factor(from_code, to_code)
    if factor is None:
        raise UnitProblem(f"{from_code!r} cannot be converted to {to_code!r}")
    scale, offset = factor
    if scale == 1 and offset == 0:
        return value
    # 15 significant digits drop the binary noise of the arithmetic (176 lb is 79.83225712 kg,
    # not 79.83225712000001; 1300 /mm3 is 1.3 x10^9/L, not 1.3000000000000003) and keep every
    # digit a measurement can have
    raw = value * scale + offset
    cleaned = float(f"{raw:.15g}")
    return cleaned if math.isfinite(cleaned) else raw  # never round the largest float to inf


def parse_quantity_text(text: str) -> Quantity:
    """Read `60 kg`, `5 ft 3 in`, `1300 /mm3`, `1.3 10*9/L`; raise UnitProblem otherwise."""
    compound = _COMPOUND.match(text)
    if compound:
        feet, inches = float(compound.group(1)), float(compound.group(3))
        if not (0 <= inches < 12 and feet >= 0 and math.isfinite(feet)):
            total = feet * 12 + inches
            hint = (
                (f"{int(total // 12)} ft {total % 12:g} in",)
                if math.isfinite(total) and total >= 0
                else ()
            )
            raise UnitProblem(
                f"{text.strip()!r} has {inches:g} inches; feet and inches need 0 to under 12 in",
                hint,
            )
        return Quantity(feet * 12 + inches, "[in_i]")
    match = _QUANTITY.match(text)
    if not match:
        raise UnitProblem(f"{text!r} does not start with a number")
    value = float(match.group(1))
    if not math.isfinite(value):
        raise UnitProblem(f"{text!r} is not a finite number")
    unit_text = match.group(2)
    # "1.3 10*9/L": the number is followed by a unit that itself starts with a power of ten
    try:
        unit = normalise_unit(unit_text)
    except UnitProblem as exc:
        shown = match.group(1)
        raise UnitProblem(str(exc), tuple(f"{shown} {s}" for s in exc.suggestions)) from None
    return Quantity(value, unit)


def parse_titre(text: str) -> Titre | None:
    """Read `1:160`; None if the text is not a titre."""
    match = _TITRE.match(text)
    if not match:
        return None
    denominator = int(match.group(1))
    return Titre(denominator) if denominator > 0 else None
