"""Leaderboards: one exact number per hunter (score, then who reached it first), idempotent
writes, competition ranks, a rebuild from PostgreSQL that gives back the same board."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime, timedelta

import asyncpg
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from server.common.leaderboard import (
    EPOCH,
    MAX_SCORE,
    TIME_SLOTS,
    Leaderboard,
    ranked,
    sort_key,
    unpack,
)
from server.http.app_keys import SERVICES
from tests.support.api import TEST_SECRET, Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.processes import GEOHUNT

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2089, 1, 1), timezones=st.just(UTC)
)
scores = st.integers(min_value=0, max_value=MAX_SCORE)


def millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(scores, moments)
def test_key_is_an_exact_double_that_unpacks(score: int, moment: datetime) -> None:
    key = sort_key(score, moment)
    assert 0 <= key < 2**53 and float(key) == key
    assert unpack(float(key)) == (score, millis(moment))


@given(scores, moments, scores, moments)
def test_key_orders_by_score_then_by_who_reached_it_first(
    s1: int, t1: datetime, s2: int, t2: datetime
) -> None:
    k1, k2 = sort_key(s1, t1), sort_key(s2, t2)
    if s1 != s2:
        assert (k1 > k2) == (s1 > s2)
    elif millis(t1) != millis(t2):
        assert (k1 > k2) == (t1 < t2)
    else:
        assert k1 == k2


def test_limits_of_the_packing() -> None:
    assert MAX_SCORE == 4095 and TIME_SLOTS == 2**41
    assert EPOCH + timedelta(milliseconds=TIME_SLOTS) > datetime(2089, 1, 1, tzinfo=UTC)
    # Beyond the limits the key saturates instead of overflowing into the score bits.
    assert sort_key(MAX_SCORE + 10, EPOCH) == sort_key(MAX_SCORE, EPOCH) == 2**53 - 1
    assert sort_key(1, datetime(2200, 1, 1, tzinfo=UTC)) == TIME_SLOTS


def test_competition_ranks() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(1, sort_key(3, t)), (2, sort_key(2, t)), (3, sort_key(2, t)), (4, sort_key(1, t))]
    entries = ranked((h, k, f"h{h}") for h, k in rows)
    assert [(e.hunter_id, e.rank, e.score) for e in entries] == [
        (1, 1, 3),
        (2, 2, 2),
        (3, 2, 2),
        (4, 4, 1),
    ]
    assert entries[0].as_json()["last_find_at"] == "2026-01-01T00:00:00.000Z"


async def _scan(api: Api, hunt: object, clue: dict, me: dict[str, str]) -> dict:
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}  # type: ignore[attr-defined]
    _, answer = await api.call("POST", "/v1/scans", 201, headers=me, json=body)
    return answer  # type: ignore[no-any-return]


async def test_leaderboard_ranks_by_score_then_by_who_got_there_first(api: Api) -> None:
    hunt = await make_hunt(api)
    one, two = await hunt.clue(), await hunt.clue()
    a, a_headers = await api.hunter()
    b, b_headers = await api.hunter()
    c, c_headers = await api.hunter()
    assert (await _scan(api, hunt, one, b_headers))["rank"] == 1
    assert (await _scan(api, hunt, one, c_headers))["rank"] == 2
    await _scan(api, hunt, one, a_headers)
    answer = await _scan(api, hunt, two, a_headers)
    assert (answer["score"], answer["rank"]) == (2, 1)
    _, board = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
    assert [(e["hunter_id"], e["rank"], e["score"]) for e in board["entries"]] == [
        (a, 1, 2),
        (b, 2, 1),
        (c, 3, 1),
    ]
    assert all(e["name"].startswith("h-") and e["last_find_at"] for e in board["entries"])
    _, top = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard?limit=2", 200)
    assert [e["hunter_id"] for e in top["entries"]] == [a, b]
    for bad in ("0", "101", "x"):
        status, problem = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard?limit={bad}")
        assert (status, problem["code"]) == (400, "invalid_request")
    status, problem = await api.call("GET", "/v1/hunts/no-such-hunt/leaderboard")
    assert (status, problem["code"]) == (404, "not_found")


async def test_equal_score_at_the_same_millisecond_share_a_rank(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunters = [await api.hunter() for _ in range(4)]
    for _, headers in hunters:
        await _scan(api, hunt, clue, headers)
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    same = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    ids = [h for h, _ in hunters]
    await db.execute(
        "UPDATE hunt_scores SET reached_at = $3 WHERE hunt_id = $1 AND hunter_id = ANY($2)",
        hunt_id,
        ids[1:3],
        same,
    )
    await db.execute(
        "UPDATE hunt_scores SET reached_at = $3 WHERE hunt_id = $1 AND hunter_id = $2",
        hunt_id,
        ids[0],
        same - timedelta(seconds=1),
    )
    board: Leaderboard = api.client.app[SERVICES].live.leaderboard
    # The database moved backwards in time, which a find never does: a rebuild takes it as is.
    await board._redis.delete(board.key(hunt_id))
    await board.rebuild([hunt_id])
    _, answer = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
    ranks = {e["hunter_id"]: e["rank"] for e in answer["entries"]}
    assert ranks == {ids[0]: 1, ids[1]: 2, ids[2]: 2, ids[3]: 4}
    assert {e["last_find_at"] for e in answer["entries"] if e["rank"] == 2} == {
        "2026-05-01T12:00:00.123Z"
    }
    # PostgreSQL, the fallback, answers the same board in the same order.
    assert await board.top_from_db(hunt_id, 10) == await board.top(hunt_id, 10)


async def test_repeated_and_late_writes_change_nothing(api: Api, redis: Redis) -> None:
    board: Leaderboard = api.client.app[SERVICES].live.leaderboard
    hunt_id, hunter = 10**12, 77
    t1 = datetime(2026, 3, 1, tzinfo=UTC)
    t2 = t1 + timedelta(minutes=5)
    await board.record(hunt_id, hunter, 1, t1)
    await board.record(hunt_id, hunter, 2, t2)
    before = await redis.zscore(board.key(hunt_id), str(hunter))
    # The same find delivered again, and an older one arriving late.
    await board.record(hunt_id, hunter, 2, t2)
    await board.record(hunt_id, hunter, 1, t1)
    after = await redis.zscore(board.key(hunt_id), str(hunter))
    assert before == after == sort_key(2, t2)
    assert await redis.zcard(board.key(hunt_id)) == 1
    await redis.delete(board.key(hunt_id))


async def test_scores_written_at_once_go_together_and_rank_as_one_at_a_time(
    api: Api, redis: Redis
) -> None:
    board: Leaderboard = api.client.app[SERVICES].live.leaderboard
    # Ranks come from Redis while the relay has marked the hunt's data complete: these hunts
    # exist nowhere else, so they are marked here.
    firsts = (10**12 + 10, 10**12 + 20)
    for hunt_id in (h + i for h in firsts for i in (0, 1)):
        await redis.set(board.marker(hunt_id), 0)
    t = datetime(2026, 3, 1, tzinfo=UTC)
    # Two hunts' boards, scores that tie and overtake, a hunter written twice.
    writes = [(i % 2, 100 + i % 17, 1 + i * 7 % 5, t + timedelta(seconds=i % 3)) for i in range(40)]

    async def ranks(first_hunt: int, together: bool) -> list[int]:
        hunts = (first_hunt, first_hunt + 1)
        for hunt_id in hunts:
            await redis.delete(board.key(hunt_id))
        calls = [board.record(hunts[h], hunter, score, at) for h, hunter, score, at in writes]
        if together:
            return list(await asyncio.gather(*calls))
        return [await call for call in calls]

    board.sizes.clear()
    grouped = await ranks(firsts[0], together=True)
    assert max(board.sizes) > 1 and sum(board.sizes) == len(writes)
    assert grouped == await ranks(firsts[1], together=False)
    assert max(grouped) > 5  # ranks from the sets (the database knows none of these hunts)
    for first in firsts:
        for hunt_id in (first, first + 1):
            await redis.delete(board.key(hunt_id), board.marker(hunt_id))


async def test_rebuild_gives_back_the_same_board_and_drops_strangers(
    api: Api, redis: Redis, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue() for _ in range(3)]
    for n in range(5):
        _, headers = await api.hunter()
        for clue in clues[: 1 + n % 3]:
            await _scan(api, hunt, clue, headers)
    board: Leaderboard = api.client.app[SERVICES].live.leaderboard
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    key = board.key(hunt_id)
    before = await redis.zrange(key, 0, -1, withscores=True)
    assert len(before) == 5
    _, listed = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
    await redis.delete(key)
    await redis.zadd(key, {"999999999": 1.0})  # no such hunter in this hunt
    assert await board.rebuild([hunt_id]) == {hunt_id: 5}
    assert await redis.zrange(key, 0, -1, withscores=True) == before
    _, again = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
    assert again == listed
    # Each scan's rank is the board's.
    for entry in listed["entries"]:
        assert entry["rank"] == 1 + sum(e["score"] > entry["score"] for e in listed["entries"]) + (
            sum(
                e["score"] == entry["score"] and e["last_find_at"] < entry["last_find_at"]
                for e in listed["entries"]
            )
        )


async def test_rebuild_command(api: Api, redis: Redis, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    for _ in range(2):
        _, headers = await api.hunter()
        await _scan(api, hunt, clue, headers)
    board: Leaderboard = api.client.app[SERVICES].live.leaderboard
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    before = await redis.zrange(board.key(hunt_id), 0, -1, withscores=True)
    await redis.delete(board.key(hunt_id))
    settings = api.settings
    env = {
        **os.environ,
        "GEOHUNT_SECRET": TEST_SECRET,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_REDIS_PREFIX": settings.redis_prefix,
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [GEOHUNT, "leaderboard", "rebuild", "--hunt", hunt.slug],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{hunt.slug}: 2 hunters" in done.stdout and "rebuilt 1 leaderboards" in done.stdout
    assert await redis.zrange(board.key(hunt_id), 0, -1, withscores=True) == before
    unknown = await asyncio.to_thread(
        subprocess.run,
        [GEOHUNT, "leaderboard", "rebuild", "--hunt", "no-such-hunt"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 1 and "no hunt 'no-such-hunt'" in unknown.stderr
