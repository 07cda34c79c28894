"""Taste twins: who found the most alike episodes, and loved the same fans' moments, as pure
functions.

Similarity starts as Jaccard's over the sets of collectibles two hunters found, a/u (a found in
common, u found by either). Fans' moments both loved count as more in common: with b moments
loved by both, the similarity is (a + b) / (u + b), each shared love added to what the two have
in common and to what they have between them. Loves that are not shared count for nothing: not
loving a moment is no sign of taste (most fans never see most moments), loving the same one is.
So hunters who share no loved moment keep exactly their Jaccard similarity, a shared love only
ever brings two hunters closer, and only equal found sets make twins of similarity 1.

Twins are ordered by similarity (highest first), then by the number of things in common (a + b,
most first), then by hunter id (lowest first). Hunters sharing no loved moment with the caller,
and with the same found set, are interchangeable but for their id, so they are ranked as groups
of equal sets first (`tiers_to_fetch`), and only the hunters of the leading groups are read;
those who share loved moments (few: they loved what the caller loved) are read one by one, and
`rank_twins` ranks both together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

TOP = 20


def jaccard(a: Collection[int], b: Collection[int]) -> Fraction:
    """|a & b| / |a | b|, exactly; 0 for two empty sets (nothing in common to speak of)."""
    left, right = frozenset(a), frozenset(b)
    union = len(left | right)
    return Fraction(len(left & right), union) if union else Fraction(0)


def similarity(a: Collection[int], b: Collection[int], loved_in_common: int = 0) -> Fraction:
    """(|a & b| + loved) / (|a | b| + loved), exactly: Jaccard's over the found sets `a` and `b`
    when the two share no loved moment; 0 when they have nothing at all."""
    left, right = frozenset(a), frozenset(b)
    union = len(left | right) + loved_in_common
    common = len(left & right) + loved_in_common
    return Fraction(common, union) if union else Fraction(0)


def _key(similarity: Fraction, common: int) -> tuple[Fraction, int]:
    return (-similarity, -common)


@dataclass(frozen=True, slots=True)
class Twin:
    hunter_id: int
    similarity: Fraction
    shared: tuple[int, ...]  # sorted collectible ids in common
    moments: tuple[int, ...] = ()  # sorted ids of the moments both loved

    @property
    def in_common(self) -> int:
        return len(self.shared) + len(self.moments)


def rank_twins(
    mine: Collection[int],
    candidates: Iterable[tuple[int, Collection[int]]],
    limit: int = TOP,
    loved: Mapping[int, Collection[int]] | None = None,
) -> list[Twin]:
    """The top `limit` candidates (hunter id, found set) sharing at least one collectible or
    one loved moment; `loved` gives, per hunter id, the moments both that hunter and the
    caller loved (none for a hunter it does not name)."""
    own = frozenset(mine)
    both_loved = loved or {}
    twins = []
    for hunter_id, found in candidates:
        shared = own & frozenset(found)
        moments = tuple(sorted(frozenset(both_loved.get(hunter_id, ()))))
        if shared or moments:
            score = similarity(own, found, len(moments))
            twins.append(Twin(hunter_id, score, tuple(sorted(shared)), moments))
    twins.sort(key=lambda t: (*_key(t.similarity, t.in_common), t.hunter_id))
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
