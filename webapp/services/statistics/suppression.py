"""Small-cell suppression (DESIGN invariant 7) and the Wilson interval of a share.

Primary: a cell built from 1 to 9 distinct residents is hidden (an empty cell, 0, names nobody).
Complementary: for every total and its parts, what the hidden parts add up to (the total minus the
shown parts) must itself come from at least 10 residents, and a hidden total must not equal the sum
of its shown parts; otherwise the next smallest part is hidden too. Repeated over all relations
(districts within the city, types within a family, periods within a window) until nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

THRESHOLD = 10
Z95 = 1.959963984540054  # two-sided 95 % normal quantile

Key = Hashable
Relation = tuple[Key, list[Key]]  # total, parts


@dataclass
class Suppressor:
    """`residents`: exact counts, or None for "at least the threshold"; `fixed`: decisions taken by
    an earlier, coarser table that this one must agree with."""

    residents: dict[Key, int | None]
    relations: list[Relation]
    union: Callable[[list[Key]], int]
    threshold: int = THRESHOLD
    fixed: dict[Key, bool] = field(default_factory=dict)
    hidden: set[Key] = field(default_factory=set)

    def small(self, key: Key) -> bool:
        count = self.residents.get(key, 0)
        return count is not None and 0 < count < self.threshold

    def run(self) -> set[Key]:
        self.hidden = {k for k in self.residents if self.fixed.get(k, self.small(k))}
        self.hidden |= {k for k, hide in self.fixed.items() if hide}
        unions: dict[frozenset, int] = {}
        changed = True
        while changed:
            changed = False
            for total, parts in self.relations:
                hidden = [p for p in parts if p in self.hidden and self.residents.get(p) != 0]
                if total in self.hidden:
                    if hidden or all(self.residents.get(p) == 0 for p in parts):
                        continue  # one equation, two unknowns at least
                elif not hidden or self._enough(hidden, unions):
                    continue
                changed |= self._hide_one_more(total, parts)  # else the shown parts give it away
        return self.hidden

    def _enough(self, hidden: list[Key], unions: dict[frozenset, int]) -> bool:
        counts = [self.residents.get(p) for p in hidden]
        if any(c is None for c in counts):
            return True
        if sum(counts) < self.threshold:
            return False
        key = frozenset(hidden)
        if key not in unions:
            unions[key] = self.union(hidden)
        return unions[key] >= self.threshold

    def _hide_one_more(self, total: Key, parts: list[Key]) -> bool:
        candidates = [
            p
            for p in parts
            if p not in self.hidden and self.residents.get(p) != 0 and not (p in self.fixed and not self.fixed[p])
        ]
        if not candidates:
            if total in self.hidden or self.fixed.get(total) is False:
                return False  # decided by a coarser table, which already hides the rest
            self.hidden.add(total)  # only when the total itself counts under the threshold
            return True
        inf = math.inf
        choice = min(candidates, key=lambda p: (inf if self.residents.get(p) is None else self.residents[p], repr(p)))
        self.hidden.add(choice)
        return True


def suppress(
    residents: dict[Key, int | None],
    relations: Iterable[Relation],
    union: Callable[[list[Key]], int],
    *,
    threshold: int = THRESHOLD,
    fixed: dict[Key, bool] | None = None,
) -> set[Key]:
    return Suppressor(residents, list(relations), union, threshold, dict(fixed or {})).run()


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exactly 0 and 1 at the ends
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high
