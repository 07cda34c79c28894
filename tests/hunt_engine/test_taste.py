"""Taste twins' pure rules: Jaccard similarity, the ranking and its tie rules, and the
group-first shortcut that reads only the hunters who can make the top."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from hunt_engine.taste import TOP, jaccard, rank_twins, similarity, tiers_to_fetch

COLLECTIBLES = range(1, 10)  # nine, as in the benchmark
found_sets = st.frozensets(st.sampled_from(COLLECTIBLES))
populations = st.lists(found_sets, min_size=0, max_size=80)


@given(found_sets, found_sets)
def test_similarity_is_in_0_1_and_symmetric(a: frozenset[int], b: frozenset[int]) -> None:
    s = jaccard(a, b)
    assert 0 <= s <= 1
    assert s == jaccard(b, a)
    assert isinstance(s, Fraction)


@given(found_sets, found_sets)
def test_similarity_is_1_only_for_equal_non_empty_sets(
    a: frozenset[int], b: frozenset[int]
) -> None:
    assert (jaccard(a, b) == 1) == (a == b and bool(a))
    assert (jaccard(a, b) == 0) == (not a & b)


def test_hand_computed_values() -> None:
    assert jaccard({1, 2, 3}, {1, 2, 3, 4}) == Fraction(3, 4)
    assert jaccard({1, 2, 3}, {1, 2}) == Fraction(2, 3)
    assert jaccard({1, 2, 3}, {1, 2, 4}) == Fraction(1, 2)
    assert jaccard({1}, {2}) == 0
    assert jaccard(set(), set()) == 0


def test_ties_by_number_in_common_then_hunter_id() -> None:
    mine = {1, 2, 3}
    candidates = [
        (40, {1, 2, 4}),  # 2/4, 2 in common
        (30, {1, 2, 3, 4, 5, 6}),  # 3/6, 3 in common: same similarity, more in common
        (20, {1, 2}),  # 2/3
        (10, {2, 3}),  # 2/3, lower id first
        (50, {7}),  # nothing in common: never a twin
        (5, {1, 2, 3}),  # 1
    ]
    ranked = rank_twins(mine, candidates)
    assert [t.hunter_id for t in ranked] == [5, 10, 20, 30, 40]
    assert ranked[3].shared == (1, 2, 3) and ranked[4].shared == (1, 2)


@given(found_sets, populations)
def test_ranking_respects_the_tie_rules(mine: frozenset[int], sets: list[frozenset[int]]) -> None:
    ranked = rank_twins(mine, list(enumerate(sets, start=1)))
    assert len(ranked) <= TOP
    keys = [(-t.similarity, -len(t.shared), t.hunter_id) for t in ranked]
    assert keys == sorted(keys)
    for twin in ranked:
        found = sets[twin.hunter_id - 1]
        assert twin.similarity == jaccard(mine, found) > 0
        assert twin.shared == tuple(sorted(mine & found))
    # Nobody left out ranks above the last one kept.
    if ranked:
        kept = {t.hunter_id for t in ranked}
        last = keys[-1]
        for hunter_id, found in enumerate(sets, start=1):
            if hunter_id not in kept and mine & found:
                key = (-jaccard(mine, found), -len(mine & found), hunter_id)
                assert key > last


@settings(max_examples=300)
@given(found_sets, populations, st.integers(1, 25), st.booleans())
def test_reading_only_the_leading_groups_gives_the_same_top(
    mine: frozenset[int], sets: list[frozenset[int]], limit: int, caller_counted: bool
) -> None:
    """What the server does (rank the distinct sets, read the first `limit` hunters by id of
    each chosen set) gives exactly the ranking over everybody."""
    caller = 0
    population = list(enumerate(sets, start=1))
    everybody = rank_twins(mine, population, limit)
    counts = Counter(frozenset(s) for s in sets)
    if caller_counted:
        counts[mine] += 1
    chosen = tiers_to_fetch(mine, ((tuple(s), n) for s, n in counts.items()), limit, caller_counted)
    candidates = []
    for found in chosen:
        members = sorted(h for h, s in population if s == frozenset(found) and h != caller)
        candidates += [(h, frozenset(found)) for h in members[:limit]]
    assert rank_twins(mine, candidates, limit) == everybody
    # And it reads few: with 9 collectibles at most 511 sets, whatever the population.
    assert len(chosen) <= 2 ** len(COLLECTIBLES) - 1


# --- loved moments beside found episodes --------------------------------------------------

MOMENTS = range(100, 106)
loved_sets = st.frozensets(st.sampled_from(MOMENTS))


@given(found_sets, found_sets, st.integers(0, 6))
def test_shared_loves_only_bring_hunters_closer(
    a: frozenset[int], b: frozenset[int], loved: int
) -> None:
    s = similarity(a, b, loved)
    assert s == similarity(b, a, loved) and 0 <= s <= 1
    assert similarity(a, b, 0) == jaccard(a, b)  # nothing loved in common: Jaccard's
    assert s >= jaccard(a, b)
    if jaccard(a, b) < 1 and (a | b):
        assert similarity(a, b, loved + 1) > s  # one more shared love: strictly closer
    if a | b:  # twins have found something (a hunter without finds has no taste set)
        assert (s == 1) == (a == b)


def test_hand_computed_values_with_loves() -> None:
    assert similarity({1, 2}, {1, 2, 3}, 1) == Fraction(3, 4)
    assert similarity({1, 2}, {3}, 2) == Fraction(2, 5)
    assert similarity({1, 2}, {1}, 0) == Fraction(1, 2)


@settings(max_examples=300)
@given(
    found_sets,
    loved_sets,
    st.lists(st.tuples(found_sets, loved_sets), min_size=0, max_size=60),
    st.integers(1, 25),
)
def test_reading_lovers_one_by_one_and_the_rest_by_groups_gives_the_same_top(
    mine: frozenset[int],
    my_loves: frozenset[int],
    people: list[tuple[frozenset[int], frozenset[int]]],
    limit: int,
) -> None:
    """What server/fans/twins.py does: the hunters who loved a moment the caller loved are
    read one by one; the groups, less those hunters, pick the sets whose other hunters can make
    the top; the first `limit` of each such set (not read already) are read. That gives the
    ranking over everybody."""
    population = list(enumerate((f for f, _ in people), start=1))
    both = {h: my_loves & people[h - 1][1] for h, _ in population}
    loved = {h: m for h, m in both.items() if m}
    everybody = rank_twins(mine, population, limit, loved)
    assert all(
        t.similarity == similarity(mine, people[t.hunter_id - 1][0], len(t.moments))
        for t in everybody
    )

    alike = [(h, f) for h, f in population if h in loved]
    counts = Counter(frozenset(f) for _, f in population)
    counts[mine] += 1  # the caller, counted in its own group
    for _, found in alike:
        counts[frozenset(found)] -= 1
    chosen = tiers_to_fetch(mine, ((tuple(s), n) for s, n in counts.items()), limit)
    candidates = list(alike)
    for found in chosen:
        members = sorted(h for h, s in population if s == frozenset(found) and h not in loved)
        candidates += [(h, frozenset(found)) for h in members[:limit]]
    assert rank_twins(mine, candidates, limit, loved) == everybody
