"""Group commit: scans claimed together get exactly the verdicts they get one at a time.

The property runs on the real services. Each example builds two identical worlds (a hunt, its
collectibles with their supplies, one clue each at one of two cities, fresh hunters); in the
first the scans are sent all at once, so their claims are batched (`claim_finds`); the order
in which the database decided them is read back (every scan writes one `scan_attempts` row,
tagged with its device id); in the second world the same scans are sent one at a time in that
order, and every scan must get the same verdict both ways.

Hypothesis drives the examples from a worker thread; each example's scans run on the test's
event loop, where the app lives.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from server.http.app_keys import SERVICES
from server.scans.batcher import ClaimBatcher
from tests.support.api import Api, unique
from tests.support.builders import BOSTON, FIVE_KM_NORTH, TIMES_SQUARE, at, make_hunt

SPOTS = (TIMES_SQUARE, BOSTON, FIVE_KM_NORTH)  # clues stand at the first two


@dataclass(frozen=True)
class World:
    collectibles: tuple[int | None, ...]  # supplies
    clue_spots: tuple[int, ...]  # one clue per collectible, at SPOTS[i]
    hunters: int
    scans: tuple[tuple[int, int, int], ...]  # (hunter, clue, spot scanned from)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n = draw(st.integers(1, 3))
    supplies = tuple(draw(st.sampled_from([None, 1, 2])) for _ in range(n))
    spots = tuple(draw(st.integers(0, 1)) for _ in range(n))
    hunters = draw(st.integers(1, 4))
    scan = st.tuples(
        st.integers(0, hunters - 1),
        st.integers(0, n - 1),
        # mostly from the clue's own spot, sometimes from elsewhere
        st.one_of(st.just(-1), st.just(-1), st.integers(0, 2)),
    )
    raw = draw(st.lists(scan, min_size=2, max_size=14))
    scans = tuple((h, c, spots[c] if s == -1 else s) for h, c, s in raw)
    return World(supplies, spots, hunters, scans)


@dataclass
class Built:
    tag: str  # the device id's prefix of this world's scans
    codes: list[str]
    hunters: list[dict[str, str]]
    hunter_ids: list[int]


async def _build(api: Api, world: World) -> Built:
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    codes = []
    for supply, spot in zip(world.collectibles, world.clue_spots, strict=True):
        key = await hunt.collectible(supply=supply)
        clue = await hunt.clue(collectible=key, at=SPOTS[spot])
        codes.append(hunt.code(clue))
    hunters = [await api.hunter() for _ in range(world.hunters)]
    return Built(unique("g"), codes, [h for _, h in hunters], [i for i, _ in hunters])


async def _send(api: Api, built: Built, world: World, i: int) -> str:
    hunter, clue, spot = world.scans[i]
    body = {"code": built.codes[clue], **at(SPOTS[spot]), "device_id": f"{built.tag}-{i}"}
    response = await api.client.post("/v1/scans", headers=built.hunters[hunter], json=body)
    if response.status == 201:
        return "accepted"
    problem = await response.json(content_type=None)
    assert response.status in (409, 422), (response.status, problem)
    return str(problem["code"])


async def _both_ways(api: Api, db: asyncpg.Connection, world: World) -> None:
    first = await _build(api, world)
    together = await asyncio.gather(*(_send(api, first, world, i) for i in range(len(world.scans))))
    rows = await db.fetch(
        "SELECT device_id FROM scan_attempts WHERE hunter_id = ANY($1::bigint[]) ORDER BY id",
        first.hunter_ids,
    )
    order = [int(r["device_id"].rsplit("-", 1)[1]) for r in rows]
    assert sorted(order) == list(range(len(world.scans))), "one attempt row per scan"

    second = await _build(api, world)
    alone = {}
    for i in order:
        alone[i] = await _send(api, second, world, i)
    assert list(together) == [alone[i] for i in range(len(world.scans))], (world, order)


async def test_a_batch_of_scans_gets_the_verdicts_of_the_same_scans_one_at_a_time(
    api: Api, db: asyncpg.Connection
) -> None:
    loop = asyncio.get_running_loop()
    batcher: ClaimBatcher = api.client.app[SERVICES].scans.claims
    batcher.sizes.clear()

    @settings(max_examples=20, deadline=None, database=None)
    @given(worlds())
    def check(world: World) -> None:
        asyncio.run_coroutine_threadsafe(_both_ways(api, db, world), loop).result(timeout=60)

    await asyncio.to_thread(check)
    # The concurrent halves were claimed in batches, not one by one.
    assert max(batcher.sizes) > 1, batcher.sizes


async def test_claims_of_one_hunter_in_one_batch_take_one_find_and_see_each_other(
    api: Api, db: asyncpg.Connection
) -> None:
    """Straight through the batcher: of four claims of one hunter and collectible sent at once,
    the first is accepted and the others, sent with the version it bumped, are told 'stale'
    (the service then decides them in turn); five other hunters' claims on the supply of 3 left
    get two finds, then sold out."""
    hunt = await make_hunt(api)
    key = await hunt.collectible(supply=3)
    clue = await hunt.clue(collectible=key)
    ids = [(await api.hunter())[0] for _ in range(6)]
    row = await db.fetchrow(
        "SELECT c.id AS clue, c.hunt_id AS hunt, c.collectible_id AS collectible"
        " FROM clues c WHERE c.id = $1",
        clue["id"],
    )
    batcher = ClaimBatcher(api.client.app[SERVICES].pool)

    def claim(hunter: int) -> tuple[Any, ...]:
        return (hunter, 0, row["hunt"], row["collectible"], row["clue"], *TIMES_SQUARE, 10.0)

    claims = [(*claim(ids[0]), 0.0, None, "d", None) for _ in range(4)]
    claims += [(*claim(h), 0.0, None, "d", None) for h in ids[1:]]
    rows = await asyncio.gather(*(batcher.claim(c) for c in claims))
    verdicts = [r["verdict"] for r in rows]
    assert verdicts[:4] == ["accepted", "stale", "stale", "stale"]
    assert verdicts[4:] == ["accepted", "accepted", "sold_out", "sold_out", "sold_out"]
    assert max(batcher.sizes) > 1
    found = await db.fetchval("SELECT found FROM collectibles WHERE id = $1", row["collectible"])
    assert found == 3


async def test_gates_sent_together_each_count_against_their_own_limit(
    api: Api, db: asyncpg.Connection
) -> None:
    """Thirty scans of one hunter at once, limit ten a minute: their gate calls go to Redis in
    groups, and still exactly ten pass the limit (one find, nine already found)."""
    hunt = await make_hunt(api, rules={"scans_per_minute": 10})
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    gate = api.client.app[SERVICES].scans._gate
    gate.sizes.clear()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    responses = await asyncio.gather(
        *(api.client.post("/v1/scans", headers=me, json=body) for _ in range(30))
    )
    codes = [
        "accepted" if r.status == 201 else (await r.json(content_type=None))["code"]
        for r in responses
    ]
    assert sorted(codes) == sorted(["accepted"] + ["already_found"] * 9 + ["rate_limited"] * 20)
    assert max(gate.sizes) > 1, gate.sizes
    assert await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id) == 1
