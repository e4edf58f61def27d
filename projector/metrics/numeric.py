"""Statistics that return None instead of NaN or infinity: every ratio a metric reports goes
through here, so no edge case (no trades, one trade, no losses, zero dispersion) can put a
NaN or inf into a row or a JSON document.

Sums use math.fsum (exactly rounded), and the variance is two-pass (mean first, then squared
deviations) rather than sum-of-squares minus square-of-sum, which cancels catastrophically
when the mean is large next to the spread (e.g. daily equity changes of a steady strategy).
"""

import math
from collections.abc import Sequence

ZERO_DISPERSION = 1e-12
"""A standard deviation at or below this fraction of the data's scale (at least 1) counts as
zero: values equal on paper differ by rounding noise of ~1e-16 of the numbers they came from."""


def finite(value: float | None) -> float | None:
    """`value`, or None when it is None, NaN or infinite."""
    return value if value is not None and math.isfinite(value) else None


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator; None when the denominator is 0 or the result not finite."""
    if denominator == 0:
        return None
    try:
        return finite(numerator / denominator)
    except OverflowError:
        return None


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def sample_std(values: Sequence[float]) -> float | None:
    """Standard deviation with n - 1; None for fewer than two values."""
    if len(values) < 2:
        return None
    centre = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


def is_zero_dispersion(std: float, scale: float) -> bool:
    """Whether `std` is rounding noise around values equal on paper, for values computed
    from numbers of size `scale` (1 for returns, which are ratios near 1 minus 1)."""
    return std <= ZERO_DISPERSION * max(abs(scale), 1.0)


def median(values: Sequence[float]) -> float | None:
    """The middle value; the mean of the two middle ones for an even count."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
