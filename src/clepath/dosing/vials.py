"""Rounding a course total and dividing it into whole-vial daily amounts.

Each course total (an induction, or one maintenance course) is rounded to the nearest multiple
of the rounding step, 5 g by default whatever the product (Ontario's calculator; US order sets
round to the nearest whole 5 g vial). With a product the step is widened, if need be, to a
multiple the product's vials can make; the total is then divided into daily amounts that are
whole vials, as even as possible (smaller amounts first), and each day is packed with the
fewest vials. Without a product the plan stays in grams. All arithmetic is done in exact
tenths of a gram so that the days always add up to the rounded total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Literal

from clepath.domain.display import fmt, fmt_plain
from clepath.errors import DosingError

__all__ = [
    "Rounding",
    "RoundingMode",
    "VialCount",
    "effective_step_g",
    "pack_vials",
    "round_course",
    "split_days",
]

RoundingMode = Literal["nearest", "down", "up"]

_TENTHS = 10  # the planner's grain: one tenth of a gram


@dataclass(frozen=True)
class VialCount:
    """How many vials of one size to dispense."""

    size_g: float
    count: int


@dataclass(frozen=True)
class Rounding:
    """A course total before and after rounding.

    `effective_step_g` equals `step_g` unless the product's vials cannot make every multiple of
    the step; `difference_g` is rounded minus prescribed.
    """

    prescribed_g: float
    rounded_g: float
    step_g: float
    effective_step_g: float
    mode: RoundingMode
    difference_g: float


def _tenths(grams: float) -> int:
    value = round(grams * _TENTHS)
    if abs(value - grams * _TENTHS) > 1e-6:
        raise DosingError(f"{grams} g is finer than a tenth of a gram")
    return int(value)


def _grams(tenths: int) -> float:
    return tenths / _TENTHS


def _vial_grain(vials_g: Sequence[float]) -> int:
    """The greatest common divisor of the vial sizes, in tenths of a gram."""
    return reduce(math.gcd, (_tenths(v) for v in vials_g))


def effective_step_g(step_g: float, vials_g: Sequence[float] | None) -> float:
    """The rounding step, widened to the least common multiple of the vials' grain if needed."""
    step = _tenths(step_g)
    if step <= 0:
        raise DosingError("the rounding step must be positive")
    if not vials_g:
        return _grams(step)
    return _grams(math.lcm(step, _vial_grain(vials_g)))


def round_course(
    prescribed_g: float,
    step_g: float,
    mode: RoundingMode = "nearest",
    vials_g: Sequence[float] | None = None,
) -> Rounding:
    """Round a course total to the step (nearest: exact halves go up).

    Raises DosingError when the total would round to nothing.
    """
    if not math.isfinite(prescribed_g) or prescribed_g <= 0:
        raise DosingError(f"a course total must be a positive number of grams, not {prescribed_g}")
    step = effective_step_g(step_g, vials_g)
    quotient = Fraction(repr(prescribed_g)) / Fraction(repr(step))
    if mode == "nearest":
        multiples = math.floor(quotient + Fraction(1, 2))
    elif mode == "down":
        multiples = math.floor(quotient)
    elif mode == "up":
        multiples = math.ceil(quotient)
    else:
        raise DosingError(f"unknown rounding mode {mode!r}")
    if multiples <= 0:
        raise DosingError(
            f"{fmt(prescribed_g, 'g')} rounds to 0 g "
            f"with a {fmt_plain(step)} g step: check the dose and weight"
        )
    rounded = _grams(multiples * _tenths(step))
    return Rounding(
        prescribed_g=prescribed_g,
        rounded_g=rounded,
        step_g=step_g,
        effective_step_g=step,
        mode=mode,
        difference_g=rounded - prescribed_g,
    )


def _representable(total: int, sizes: Sequence[int]) -> list[bool]:
    """reach[a] is True when `a` tenths can be made from whole vials."""
    reach = [False] * (total + 1)
    reach[0] = True
    for amount in range(1, total + 1):
        reach[amount] = any(s <= amount and reach[amount - s] for s in sizes)
    return reach


def _even_split(total: int, days: int, grain: int) -> list[int]:
    units, extra = divmod(total // grain, days)
    return [units * grain] * (days - extra) + [(units + 1) * grain] * extra


def _search_split(total: int, days: int, reach: list[bool]) -> list[int] | None:
    """The daily amounts with the smallest spread when the even split is not all vials."""
    candidates = [a for a in range(1, total + 1) if reach[a]]
    mean = total / days
    for width in range(0, total + 1):
        for low in range(max(1, math.ceil(mean) - width), math.floor(mean) + 1):
            window = [a for a in candidates if low <= a <= low + width]
            picked = _pick(window, days, total)
            if picked is not None:
                return sorted(picked)
    return None


def _pick(window: list[int], days: int, total: int) -> list[int] | None:
    """`days` amounts from `window` (repeats allowed) adding up to `total`, or None."""
    ways: dict[int, list[int]] = {0: []}
    for _ in range(days):
        nxt: dict[int, list[int]] = {}
        for subtotal, chosen in ways.items():
            for amount in window:
                value = subtotal + amount
                if value <= total and value not in nxt:
                    nxt[value] = [*chosen, amount]
        ways = nxt
    return ways.get(total)


def split_days(
    total_g: float, days: int, vials_g: Sequence[float] | None = None
) -> tuple[float, ...]:
    """Divide a course total over `days`, as evenly as possible, smaller amounts first.

    With vials every day is a whole number of vials; without, the grain is a tenth of a gram.
    Raises DosingError when the vials cannot make the total in that many days.
    """
    if days < 1:
        raise DosingError("a course needs at least one day")
    total = _tenths(total_g)
    if not vials_g:
        return tuple(_grams(a) for a in _even_split(total, days, 1))
    grain = _vial_grain(vials_g)
    if total % grain:
        raise DosingError(f"{fmt(total_g, 'ivig_g')} cannot be made "
                          f"from vials of {_sizes(vials_g)} g")
    sizes = sorted({_tenths(v) for v in vials_g})
    reach = _representable(total, sizes)
    amounts = _even_split(total, days, grain)
    if not all(reach[a] for a in amounts):
        found = _search_split(total, days, reach)
        if found is None:
            raise DosingError(
                f"{fmt(total_g, 'ivig_g')} cannot be divided into {days} days of whole "
                f"{_sizes(vials_g)} g vials"
            )
        amounts = found
    return tuple(_grams(a) for a in amounts)


def pack_vials(amount_g: float, vials_g: Sequence[float]) -> tuple[VialCount, ...]:
    """The fewest vials that make exactly `amount_g`, largest sizes first.

    Raises DosingError when the vials cannot make the amount.
    """
    amount = _tenths(amount_g)
    sizes = sorted({_tenths(v) for v in vials_g}, reverse=True)
    best: list[int | None] = [0] + [None] * amount
    for value in range(1, amount + 1):
        options = [best[value - s] for s in sizes if s <= value and best[value - s] is not None]
        best[value] = min(options) + 1 if options else None  # type: ignore[operator]
    if best[amount] is None:
        raise DosingError(f"{fmt(amount_g, 'ivig_g')} cannot be made "
                          f"from vials of {_sizes(vials_g)} g")
    counts: dict[int, int] = {}
    value = amount
    while value:
        size = next(
            s for s in sizes if s <= value and best[value - s] is not None
            and best[value - s] == best[value] - 1  # type: ignore[operator]
        )
        counts[size] = counts.get(size, 0) + 1
        value -= size
    return tuple(VialCount(_grams(s), c) for s, c in sorted(counts.items(), reverse=True))


def _sizes(vials_g: Sequence[float]) -> str:
    return ", ".join(fmt_plain(v) for v in sorted(vials_g))
