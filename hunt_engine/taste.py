"""Taste twins: who found the most alike episodes, as pure functions.

Similarity is Jaccard's over the sets of collectibles two hunters found. Twins are ordered by
similarity (highest first), then by the number of collectibles in common (most first), then by
hunter id (lowest first). Hunters with the same set are interchangeable but for their id, so a
population is ranked as groups of equal sets first (`tiers_to_fetch`), and only the hunters of
the leading groups are read (`rank_twins`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from fractions import Fraction

TOP = 20


def jaccard(a: Collection[int], b: Collection[int]) -> Fraction:
    """|a & b| / |a | b|, exactly; 0 for two empty sets (nothing in common to speak of)."""
    left, right = frozenset(a), frozenset(b)
    union = len(left | right)
    return Fraction(len(left & right), union) if union else Fraction(0)


def _key(similarity: Fraction, common: int) -> tuple[Fraction, int]:
    return (-similarity, -common)


@dataclass(frozen=True, slots=True)
class Twin:
    hunter_id: int
    similarity: Fraction
    shared: tuple[int, ...]  # sorted collectible ids in common


def rank_twins(
    mine: Collection[int], candidates: Iterable[tuple[int, Collection[int]]], limit: int = TOP
) -> list[Twin]:
    """The top `limit` candidates (hunter id, found set) sharing at least one collectible."""
    own = frozenset(mine)
    twins = []
    for hunter_id, found in candidates:
        shared = own & frozenset(found)
        if shared:
            twins.append(Twin(hunter_id, jaccard(own, found), tuple(sorted(shared))))
    twins.sort(key=lambda t: (*_key(t.similarity, len(t.shared)), t.hunter_id))
    return twins[:limit]


def tiers_to_fetch(
    mine: Collection[int],
    groups: Iterable[tuple[Collection[int], int]],
    limit: int = TOP,
    caller_counted: bool = True,
) -> list[tuple[int, ...]]:
    """The found sets whose hunters can be among the top `limit`, given each distinct set and
    how many hunters have it. Sets tie by (similarity, in common), and ties are broken by
    hunter id across sets, so whole tiers are taken until they hold `limit` hunters. The
    caller, counted in the group of its own set when `caller_counted`, is not a candidate."""
    own = frozenset(mine)
    tiers: dict[tuple[Fraction, int], list[tuple[tuple[int, ...], int]]] = {}
    for found, members in groups:
        shared = own & frozenset(found)
        if not shared:
            continue
        if caller_counted and frozenset(found) == own:
            members -= 1
        if members <= 0:
            continue
        key = _key(jaccard(own, found), len(shared))
        tiers.setdefault(key, []).append((tuple(sorted(found)), members))
    chosen: list[tuple[int, ...]] = []
    total = 0
    for key in sorted(tiers):
        if total >= limit:
            break
        for found, members in sorted(tiers[key]):
            chosen.append(found)
            total += members
    return chosen
