"""One way to write a number for a person: every page, PDF, terminal report, calendar, card and
alert message formats its numbers here.

A *kind* of quantity (``ivig_g``, ``ml``, ``mg_per_kg``, ``cm``, ``egfr`` ...) fixes the number
of decimals and the unit a person reads. Rounding is decimal, from the shortest text of the
number (``2.675`` rounds as written, to ``2.68``), half away from zero (``ROUND_HALF_UP``), the
way a person rounds by hand. Zeros before the decimal point are never removed (600 stays 600).

Two styles of decimals, chosen per kind:

* **measured** values (weight, BMI, mg/kg ratios, temperature) keep their fixed decimals, so the
  precision shows (``70.0 kg``, ``5.00 mg/kg``);
* **dose** values (grams, mL, mg, mL/h) drop trailing zeros *after* the decimal point only, as
  medication-safety practice asks (``60 g``, never ``60.0 g``, which can be misread as 600 g;
  ``0.5 g``, never ``.5 g``).

Thousands are separated by commas for people (``15,000 mg``, ``1,000 mL``), as the ISMP list of
error-prone dose designations asks (100000 is misread as 10000); ``fmt_number`` alone, used for
data (JSON, FHIR), never groups.

Units are written one way for people (``×10⁹/L``, ``mL/min/1.73 m²``, ``°C``); the UCUM codes
(``10*9/L``, ``mL/min/{1.73_m2}``, ``Cel``) stay in JSON and FHIR, never on a page.

May import: the standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "fmt_score_change",
    "KINDS",
    "NOT_RECORDED",
    "Kind",
    "fmt",
    "fmt_number",
    "fmt_plain",
    "fmt_quantity",
    "fmt_titre",
    "fmt_value",
    "jinja_filters",
    "kind_of_unit",
    "round_value",
    "unit_label",
]

NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of quantity is written: decimals, unit shown, and whether zeros after the
    decimal point are dropped (doses) or kept (measurements)."""

    decimals: int
    unit: str
    trim: bool = False
    space: bool = True  # a space between number and unit ("60 g"; "45%" has none)
    whole_from: float | None = None  # from this size on, no decimals (23 weeks, 1.5 weeks)


KINDS: dict[str, Kind] = {
    # IVIG and other doses: trailing zeros after the point are dropped (60 g, 32.5 g)
    "ivig_g": Kind(1, "g", trim=True),
    "g": Kind(2, "g", trim=True),
    "g_per_kg": Kind(2, "g/kg", trim=True),
    "ml": Kind(0, "mL"),
    "ml_per_h": Kind(1, "mL/h", trim=True),
    "mg_kg_min": Kind(2, "mg/kg/min", trim=True),
    "mg": Kind(1, "mg", trim=True),
    "mg_per_day": Kind(1, "mg/day", trim=True),
    "mg_per_week": Kind(1, "mg/week", trim=True),
    "mg_per_ml": Kind(0, "mg/mL"),
    "minutes": Kind(0, "min"),
    "days": Kind(0, "days"),
    # one decimal below 20 weeks, so 11.6 weeks next to a 12-week minimum trial is not "12"
    "weeks": Kind(1, "weeks", trim=True, whole_from=20),
    # measurements and computed ratios: fixed decimals
    "mg_per_kg": Kind(2, "mg/kg"),
    "mg_per_kg_day": Kind(2, "mg/kg/day"),
    "kg": Kind(1, "kg"),  # a measured weight
    "dosing_kg": Kind(2, "kg"),  # a computed dosing weight (IBW, DDW): grams are checked by it
    "cm": Kind(0, "cm"),
    "inch": Kind(1, "in"),
    "bmi": Kind(1, "kg/m²"),
    "egfr": Kind(0, "mL/min/1.73 m²"),
    "cells": Kind(2, "×10⁹/L", trim=True),
    "per_mm3": Kind(0, "/mm³"),
    "temperature": Kind(1, "°C"),
    "percent": Kind(0, "%", space=False),
    "percent_1": Kind(1, "%", space=False),
    "ug_per_ml": Kind(1, "µg/mL", trim=True),
    "ng_per_ml": Kind(0, "ng/mL"),
    "score": Kind(0, ""),
    "count": Kind(0, ""),
    "plain": Kind(4, "", trim=True),
}

# UCUM code (as in case files, packs, JSON and FHIR) -> the same unit as a person reads it
_UNIT_LABELS: dict[str, str] = {
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
    "/mm3": "/mm³",
    "mm3": "mm³",
    "Cel": "°C",
    "[degF]": "°F",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "{1.73_m2}": "1.73 m²",
    "kg/m2": "kg/m²",
    "m2": "m²",
    "ug/mL": "µg/mL",
    "ug/L": "µg/L",
    "ug/dL": "µg/dL",
    "umol/L": "µmol/L",
    "[iU]/mL": "IU/mL",
    "[iU]/L": "IU/L",
    "[IU]/mL": "IU/mL",
    "[IU]/L": "IU/L",
    "[GPL'U]": "GPL",
    "[MPL'U]": "MPL",
    "/[HPF]": "/HPF",
    "[lb_av]": "lb",
    "[in_i]": "in",
    "[ft_i]": "ft",
    "mg/d": "mg/day",
    "g/d": "g/day",
    "g/kg/d": "g/kg/day",
    "mg/kg/d": "mg/kg/day",
    "d": "days",
    "wk": "weeks",
    "a": "years",
    "mo": "months",
    "1": "",
    "{joints}": "joints",
    "{score}": "",
    "{titer}": "",
}

# UCUM code -> the kind whose precision it takes when no kind is named
_UNIT_KINDS: dict[str, str] = {
    "10*9/L": "cells",
    "/mm3": "per_mm3",
    "mL/min/{1.73_m2}": "egfr",
    "Cel": "temperature",
    "kg": "kg",
    "cm": "cm",
    "kg/m2": "bmi",
    "mL": "ml",
    "mL/h": "ml_per_h",
    "mg/mL": "mg_per_ml",
    "mg": "mg",
    "mg/d": "mg_per_day",
    "mg/kg": "mg_per_kg",
    "mg/kg/d": "mg_per_kg_day",
    "g/kg": "g_per_kg",
    "mg/kg/min": "mg_kg_min",
    "min": "minutes",
    "%": "percent_1",
    "ng/mL": "ng_per_ml",
    "ug/mL": "ug_per_ml",
}


def unit_label(ucum: str | None) -> str:
    """A UCUM unit code as a person reads it (``10*9/L`` -> ``×10⁹/L``); unknown codes unchanged
    but for their curly-brace annotations, which are never shown."""
    if ucum is None:
        return ""
    code = ucum.strip()
    if code in _UNIT_LABELS:
        return _UNIT_LABELS[code]
    if "{" in code:  # an annotation such as {1.73_m2} or {cells}: show its words
        for key, label in _UNIT_LABELS.items():
            if key.startswith("{") and key in code:
                code = code.replace(key, label)
        code = code.replace("{", "").replace("}", "").replace("_", " ")
    return code.replace("10*9", "×10⁹").replace("Cel", "°C").replace("[iU]", "IU")


def kind_of_unit(ucum: str | None) -> str | None:
    """The kind whose precision a value in this UCUM unit takes, if one is set."""
    return None if ucum is None else _UNIT_KINDS.get(ucum.strip())


def _decimal(value: float | int | Decimal | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    try:
        return Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc


def fmt_number(
    value: float | int | Decimal | str, decimals: int, *, trim: bool = False,
    grouping: bool = False,
) -> str:
    """`value` rounded half-up to `decimals` places, written without exponent.

    With `trim`, zeros after the decimal point (and the point itself) are dropped; zeros before
    it never are. With `grouping`, thousands are separated by commas (for people; never in
    data). Negative zero is written ``0``.
    """
    number = _decimal(value)
    quantum = Decimal(1).scaleb(-decimals)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    text = f"{rounded:,f}" if grouping else f"{rounded:f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def round_value(value: float, decimals: int) -> float | int:
    """A number for a data export (FHIR, JSON) rounded half-up like every page writes it:
    ``round_value(79.83225712000001, 2) == 79.83``; with no decimals, an integer."""
    text = fmt_number(value, decimals)
    return int(text) if decimals == 0 else float(text)


def fmt_plain(value: float | int | Decimal | str) -> str:
    """A number exactly as written (a pack threshold, a vial size) for a person: the shortest
    text, never an exponent (``1e+06`` is written ``1,000,000``), no trailing zeros after the
    point, thousands separated by commas."""
    number = _decimal(value)
    if number == 0:
        return "0"
    return f"{number.normalize():,f}"


def _kind_number(value: float | int | Decimal, k: Kind) -> str:
    decimals = k.decimals
    if k.whole_from is not None and abs(_decimal(value)) >= Decimal(str(k.whole_from)):
        decimals = 0
    return fmt_number(value, decimals, trim=k.trim, grouping=True)


def fmt_value(
    value: float | int | Decimal | None, kind: str, *, missing: str = NOT_RECORDED
) -> str:
    """The number alone, at the precision of `kind` (for a table whose column names the unit)."""
    if value is None:
        return missing
    return _kind_number(value, KINDS[kind])


def fmt(value: float | int | Decimal | None, kind: str, *, missing: str = NOT_RECORDED) -> str:
    """The number with its unit, at the precision of `kind`: ``fmt(600, "ml") == "600 mL"``."""
    if value is None:
        return missing
    k = KINDS[kind]
    number = _kind_number(value, k)
    if not k.unit:
        return number
    return f"{number} {k.unit}" if k.space else f"{number}{k.unit}"


def fmt_quantity(
    value: float | int | Decimal | None,
    unit: str | None,
    *,
    kind: str | None = None,
    missing: str = NOT_RECORDED,
) -> str:
    """A value in a UCUM unit as a person reads it: ``fmt_quantity(3.2, "10*9/L") ==
    "3.2 ×10⁹/L"``. The precision is that of `kind`, else of the unit's kind, else the value
    as recorded (up to 4 decimals)."""
    if value is None:
        return missing
    chosen = kind or kind_of_unit(unit) or "plain"
    number = _kind_number(value, KINDS[chosen])
    label = unit_label(unit)
    if not label:
        return number
    return f"{number}{label}" if label == "%" else f"{number} {label}"


def fmt_titre(denominator: float | int | None, *, missing: str = NOT_RECORDED) -> str:
    """A titre as ``1:N`` (``fmt_titre(160) == "1:160"``)."""
    if denominator is None:
        return missing
    return f"1:{fmt_number(denominator, 0, grouping=True)}"


def _qty(value: object, kind: str) -> str:
    return fmt(value, kind) if _is_number(value) else _as_text(value)  # type: ignore[arg-type]


def _val(value: object, kind: str) -> str:
    return fmt_value(value, kind) if _is_number(value) else _as_text(value)  # type: ignore[arg-type]


def _quantity(value: object, unit: str | None) -> str:
    return fmt_quantity(value, unit) if _is_number(value) else _as_text(value)  # type: ignore[arg-type]


def _plain(value: object) -> str:
    return fmt_plain(value) if _is_number(value) else _as_text(value)  # type: ignore[arg-type]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _as_text(value: object) -> str:
    return NOT_RECORDED if value is None else str(value)


def jinja_filters() -> dict[str, object]:
    """The formatter as template filters: ``{{ v|qty('ml') }}`` -> ``600 mL``, ``{{ v|val('cm')
    }}`` -> ``170``, ``{{ v|quantity(unit) }}``, ``{{ v|plain }}``, ``{{ code|unit_label }}``."""
    return {"qty": _qty, "val": _val, "quantity": _quantity, "plain": _plain,
            "unit_label": unit_label, "titre": fmt_titre}


def fmt_score_change(points: int, percent: float | None, baseline: str) -> str:
    """A score's change from its baseline in words a reader cannot misread: ``3 points lower
    (20%) than the baseline 15`` (never a signed "+3", which reads as a rise when the score
    fell). `points` is baseline minus current, so positive means lower."""
    share = "" if not percent else f" ({fmt(abs(percent), 'percent')})"
    if points > 0:
        return f"{points} points lower{share} than the baseline {baseline}"
    if points < 0:
        return f"{-points} points higher{share} than the baseline {baseline}"
    return f"unchanged from the baseline {baseline}"
