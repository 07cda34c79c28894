"""geohunt on a Redis Cluster (three primaries, three replicas, started here): scans, the gate,
the leaderboard, SIWE nonces and live pushes work, no command ever meets CROSSSLOT, the relay
rebuilds what a flush or a lost marker took, and scans and pushes go on while the hunt's slot
moves to another primary and through a primary's failover."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from eth_account import Account

from infra.local_redis_cluster import RedisCluster, available, redis_cluster
from server.app import create_app
from server.common.leaderboard import Leaderboard
from server.common.redis_keys import board_key, hunter_tag, marker_key, stream_key
from server.http.app_keys import SERVICES
from server.http.auth import Role
from tests.support.api import Api, unique
from tests.support.builders import LIVE_TIMEOUT_S, TIMES_SQUARE, Hunt, at, make_hunt, ws_until
from tests.support.identity import nonce as siwe_nonce
from tests.support.identity import siwe

pytestmark = pytest.mark.skipif(not available(), reason="Debian's redis-server and redis-cli")

# What the app logs when a Redis call fails: none of it may appear while the cluster is whole.
REDIS_FAILURES = ("Redis unreachable", "Redis unavailable", "cannot read Redis")


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    with redis_cluster() as started:
        yield started


@pytest.fixture
async def api_on_cluster(aiohttp_client: Any, settings_factory: Any, cluster: RedisCluster) -> Api:
    settings = settings_factory(
        redis_cluster_nodes=tuple(("127.0.0.1", n.port) for n in cluster.nodes[:3]),
        redis_prefix=unique("cl") + ":",
    )
    return Api(await aiohttp_client(create_app(settings)), settings)


def redis_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and any(f in r.getMessage() for f in REDIS_FAILURES)
    ]


async def scan_at(api: Api, hunt: Any, clue: dict[str, Any], me: dict[str, str], **h: str) -> Any:
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    return await api.call("POST", "/v1/scans", headers={**me, **h}, json=body)


async def hunt_id_of(api: Api, slug: str) -> int:
    pool: asyncpg.Pool = api.client.app[SERVICES].pool
    return int(await pool.fetchval("SELECT id FROM hunts WHERE slug = $1", slug))


async def test_scans_gate_leaderboard_nonces_and_pushes_work_on_the_cluster(
    api_on_cluster: Api, cluster: RedisCluster, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_on_cluster
    caplog.set_level(logging.WARNING)
    services = api.client.app[SERVICES]
    prefix = api.settings.redis_prefix
    # Three hunts whose keys sit on more than one primary, so that the calls below cross nodes.
    # A hunt's slot follows from its id, that is from how many hunts the database held before
    # (what earlier tests made): hunts are made until the last three span two primaries.
    hunts: list[Hunt] = []
    ids: list[int] = []
    while len(ids) < 3 or len({cluster.owner_of(stream_key(prefix, i)) for i in ids}) < 2:
        hunts.append(await make_hunt(api, rules={"scans_per_minute": 4}))
        ids.append(await hunt_id_of(api, hunts[-1].slug))
        hunts, ids = hunts[-3:], ids[-3:]
    clues = {h.slug: [await h.clue() for _ in range(4)] for h in hunts}
    screens = [
        await api.client.ws_connect(
            f"/v1/hunts/{h.slug}/live", headers=api.auth(Role.SCREEN, "venue", hunt=h.slug)
        )
        for h in hunts
    ]
    for ws in screens:
        assert (await ws_until(ws, "snapshot"))["leaderboard"] == []

    # Many hunters scan the three hunts at once: the gate's and the leaderboard's calls go
    # in groups that span hunts, hunters and slots.
    hunters = [await api.hunter() for _ in range(12)]
    answers = await asyncio.gather(
        *(
            scan_at(api, hunts[n % 3], clues[hunts[n % 3].slug][0], me)
            for n, (_, me) in enumerate(hunters)
        )
    )
    assert [status for status, _ in answers] == [201] * 12
    # Each scan's rank is the one the hunt's leaderboard gives its hunter.
    for n, hunt in enumerate(hunts):
        _, board = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
        ranks = {e["hunter_id"]: e["rank"] for e in board["entries"]}
        mine = {hunters[i][0]: answers[i][1]["rank"] for i in range(n, 12, 3)}
        assert ranks == mine

    # Each screen hears its own hunt's four finds, and the leaderboard after them.
    for n, ws in enumerate(screens):
        mine = {a["find"]["id"] for _, a in answers[n::3]}
        heard: set[int] = set()
        while heard != mine:
            message = await ws_until(ws, "find")
            assert message["hunt"] == hunts[n].slug
            heard.add(message["find"]["id"])
        assert len((await ws_until(ws, "leaderboard"))["entries"]) == 4

    # Ranks from the cluster's sets once the relay has marked each hunt.
    hunter_id, me = hunters[0]
    for clue in clues[hunts[0].slug][1:3]:
        status, answer = await scan_at(api, hunts[0], clue, me)
        assert status == 201
    assert (answer["score"], answer["rank"]) == (3, 1)
    _, board = await api.call("GET", f"/v1/hunts/{hunts[0].slug}/leaderboard", 200)
    assert board["entries"][0]["hunter_id"] == hunter_id
    assert await services.redis.get(marker_key(prefix, ids[0])) is not None
    assert await services.redis.zcard(board_key(prefix, ids[0])) == 4

    # Idempotency: a replay, and the same key with another body refused.
    _, me2 = hunters[3]
    key = {"Idempotency-Key": unique("tap")}
    status, first = await scan_at(api, hunts[0], clues[hunts[0].slug][1], me2, **key)
    assert status == 201
    assert await scan_at(api, hunts[0], clues[hunts[0].slug][1], me2, **key) == (200, first)
    status, _ = await scan_at(api, hunts[0], clues[hunts[0].slug][2], me2, **key)
    assert status == 409
    # The rate limit: four a minute (replays and refused keys do not count), this hunter has
    # made two, and two more are let through.
    for clue in clues[hunts[0].slug][2:4]:
        status, _ = await scan_at(api, hunts[0], clue, me2)
        assert status == 201
    status, problem = await scan_at(api, hunts[0], clues[hunts[0].slug][0], me2)
    assert (status, problem["code"]) == (429, "rate_limited")

    # SIWE nonces: issued, and taken once.
    account = Account.create()
    nonce = await siwe_nonce(api)
    assert (await siwe(api, account, 200, nonce=nonce))["token"]
    assert (await siwe(api, Account.create(), 401, nonce=nonce))["code"] == "nonce_reused"

    # The AR hints' gate (the scan gate's script under its own prefix) limits too.
    statuses = []
    for _ in range(6):
        params = {"lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1], "accuracy_m": 10}
        path = f"/v1/hunts/{hunts[1].slug}/nearby"
        status, _ = await api.call("GET", path, headers=hunters[1][1], params=params)
        statuses.append(status)
    assert statuses == [200] * 4 + [429] * 2

    # Many gates and scores written at once go in pipelines that span hunters, hunts and
    # slots, and answer as they do one at a time.
    gate = services.scans._gate
    gate.sizes.clear()
    entered = await asyncio.gather(*(gate.enter(10**12 + n, 1, None, "") for n in range(40)))
    assert max(gate.sizes) > 1 and {e.outcome for e in entered} == {"ok"}
    entered = await asyncio.gather(*(gate.enter(10**12 + n, 1, None, "") for n in range(40)))
    assert {e.outcome for e in entered} == {"limited"}
    board = services.live.leaderboard
    fakes = [10**12 + n for n in range(6)]
    for hunt_id in fakes:
        await services.redis.set(board.marker(hunt_id), 0)
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    writes = [(fakes[i % 6], 1 + i % 7, 1 + i * 7 % 5) for i in range(60)]
    board.sizes.clear()
    together = await asyncio.gather(*(board.record(h, m, s, moment) for h, m, s in writes))
    assert max(board.sizes) > 1
    for hunt_id in fakes:
        await services.redis.delete(board.key(hunt_id))
    assert together == [await board.record(h, m, s, moment) for h, m, s in writes]
    assert max(together) > 1  # ranks from the sets (the database knows none of these hunts)

    for ws in screens:
        await ws.close()
    status, ready = await api.call("GET", "/readyz")
    assert (status, ready["checks"]["redis"]) == (200, "ok")
    assert cluster.crossslot_errors() == {}
    assert redis_failures(caplog) == []
    assert services.live.relay.leader and not services.live.relay.redis_down


async def test_the_relay_rebuilds_what_a_flush_or_a_lost_marker_took(
    api_on_cluster: Api, cluster: RedisCluster, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_on_cluster
    services = api.client.app[SERVICES]
    redis, prefix = services.redis, api.settings.redis_prefix
    hunts = [await make_hunt(api) for _ in range(3)]
    ids = [await hunt_id_of(api, h.slug) for h in hunts]
    for hunt in hunts:
        clues = [await hunt.clue() for _ in range(2)]
        for n in range(3):
            _, me = await api.hunter()
            for clue in clues[: 1 + n % 2]:
                assert (await scan_at(api, hunt, clue, me))[0] == 201

    async def state() -> list[Any]:
        found = []
        for hunt_id in ids:
            found.append(await redis.zrange(board_key(prefix, hunt_id), 0, -1, withscores=True))
            found.append([e[0] for e in await redis.xrange(stream_key(prefix, hunt_id))])
        return found

    async def marked(hunt_ids: list[int]) -> None:
        for hunt_id in hunt_ids:
            while await redis.get(marker_key(prefix, hunt_id)) is None:
                await asyncio.sleep(0.05)

    await asyncio.wait_for(marked(ids), LIVE_TIMEOUT_S)
    await asyncio.wait_for(_all_delivered(api, ids), LIVE_TIMEOUT_S)
    before = await state()
    assert all(before) and len(before[0]) == 3 and len(before[1]) == 4  # 3 hunters, 4 finds

    # One hunt's slot lost its data (as on a primary restarted empty): only it is rebuilt.
    recoveries = services.live.relay.recoveries
    await redis.delete(board_key(prefix, ids[1]), marker_key(prefix, ids[1]))
    await redis.delete(stream_key(prefix, ids[1]))
    await asyncio.wait_for(marked([ids[1]]), LIVE_TIMEOUT_S)
    assert await state() == before
    assert services.live.relay.recoveries == recoveries + 1

    # Every primary flushed: every hunt comes back, its board and its stream.
    cluster.flushall()
    await asyncio.wait_for(marked(ids), LIVE_TIMEOUT_S)
    assert await state() == before
    _, board = await api.call("GET", f"/v1/hunts/{hunts[0].slug}/leaderboard", 200)
    assert len(board["entries"]) == 3

    # A full rebuild scans every primary for boards: a stranger's (no such hunt) is dropped.
    stranger = board_key(prefix, 10**12 + 7)
    await redis.zadd(stranger, {"1": 1.0})
    rebuilt = await Leaderboard(redis, prefix, services.pool).rebuild()
    assert {ids[0], ids[1], ids[2]} <= set(rebuilt)
    assert not await redis.exists(stranger)
    assert await state() == before
    assert cluster.crossslot_errors() == {}


async def test_scans_and_pushes_go_on_while_the_hunts_slot_moves(
    api_on_cluster: Api, cluster: RedisCluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A reshard (run before the failover test, which leaves a primary without a replica):
    the slot of the hunt's leaderboard, stream and marker moves to another primary while scans
    arrive; redis-py follows ASK and MOVED, so nothing degrades, and the screen still gets
    every find from the stream on its new node."""
    api = api_on_cluster
    caplog.set_level(logging.WARNING)
    prefix = api.settings.redis_prefix
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    hunt_id = await hunt_id_of(api, hunt.slug)
    clue = await hunt.clue()
    async with api.client.ws_connect(
        f"/v1/hunts/{hunt.slug}/live", headers=api.auth(Role.SCREEN, "venue", hunt=hunt.slug)
    ) as ws:
        await ws_until(ws, "snapshot")
        statuses: list[int] = []
        stop = asyncio.Event()

        async def keep_scanning() -> None:
            while not stop.is_set():
                _, me = await api.hunter()
                status, _ = await scan_at(api, hunt, clue, me)
                statuses.append(status)

        scanning = asyncio.create_task(keep_scanning())
        await asyncio.sleep(0.3)
        before = len(statuses)
        key = stream_key(prefix, hunt_id)
        source, target = await asyncio.to_thread(cluster.move_slot_of, key)
        assert cluster.owner_of(key) == target != source
        await asyncio.sleep(0.5)
        stop.set()
        await scanning
        assert before > 0 and len(statuses) > before, statuses
        assert set(statuses) == {201}, statuses
        _, me = await api.hunter()
        status, answer = await scan_at(api, hunt, clue, me)
        assert status == 201
        while True:
            message = await ws_until(ws, "find")
            if message["find"]["id"] == answer["find"]["id"]:
                break
    assert redis_failures(caplog) == []
    redis = api.client.app[SERVICES].redis
    assert await redis.zcard(board_key(prefix, hunt_id)) == len(statuses) + 1
    assert cluster.crossslot_errors() == {}


async def test_scans_go_on_while_a_primary_fails_over(
    api_on_cluster: Api, cluster: RedisCluster, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_on_cluster
    caplog.set_level(logging.WARNING)
    prefix = api.settings.redis_prefix
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    hunt_id = await hunt_id_of(api, hunt.slug)
    clues = [await hunt.clue() for _ in range(3)]
    hunters = [await api.hunter() for _ in range(3)]
    async with api.client.ws_connect(
        f"/v1/hunts/{hunt.slug}/live", headers=api.auth(Role.SCREEN, "venue", hunt=hunt.slug)
    ) as ws:
        await ws_until(ws, "snapshot")
        status, answer = await scan_at(api, hunt, clues[0], hunters[0][1])
        assert status == 201
        await ws_until(ws, "find")

        # Scans by fresh hunters, one after the other, while the primary holding the hunt's
        # slot (and some hunters') is killed and its replica takes over.
        statuses: list[int] = []
        stop = asyncio.Event()

        async def keep_scanning() -> None:
            while not stop.is_set():
                _, me = await api.hunter()
                status, _ = await scan_at(api, hunt, clues[1], me)
                statuses.append(status)

        scanning = asyncio.create_task(keep_scanning())
        await asyncio.sleep(0.3)
        dead = cluster.kill_primary_of(stream_key(prefix, hunt_id))
        killed_at = len(statuses)
        started = time.monotonic()
        await asyncio.to_thread(cluster.wait_promoted, dead)
        promoted_at = len(statuses)
        # The client learns the new layout (bounded: a second or two, longer on a busy machine).
        deadline = time.monotonic() + LIVE_TIMEOUT_S
        while time.monotonic() < deadline and not any(
            r.getMessage() == "Redis reachable again" for r in caplog.records
        ):
            await asyncio.sleep(0.1)
        stop.set()
        await scanning
        assert 500 not in statuses and set(statuses) <= {201, 503}, statuses
        assert promoted_at > killed_at, (statuses, time.monotonic() - started)
        # They went on as without Redis (the rate limit per process, ranks from PostgreSQL)
        # while the hunt's slot had no primary, and on the cluster again after.
        said = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("Redis unreachable") for m in said), said
        assert "Redis reachable again" in said

        # Then every scan is accepted again, ranked from the cluster, and pushed to the screen.
        for _, me in hunters[1:]:
            status, answer = await scan_at(api, hunt, clues[2], me)
            assert status == 201
        while True:
            message = await ws_until(ws, "find")
            if message["find"]["id"] == answer["find"]["id"]:
                break
    status, ready = await api.call("GET", "/readyz")
    assert status == 200, ready
    redis = api.client.app[SERVICES].redis
    assert await redis.get(marker_key(prefix, hunt_id)) is not None
    assert await redis.zcard(board_key(prefix, hunt_id)) == 3 + len(statuses) - statuses.count(503)
    assert cluster.crossslot_errors() == {}


def test_every_key_of_a_hunter_or_a_hunt_is_in_one_slot_of_the_cluster(
    cluster: RedisCluster,
) -> None:
    """The key scheme as the cluster itself computes slots (CLUSTER KEYSLOT)."""
    client = cluster.any_client()
    try:
        for prefix in ("geohunt:", "x:nearby:"):
            for n in (1, 42, 10**9):
                keys = [board_key(prefix, n), stream_key(prefix, n), marker_key(prefix, n)]
                assert len({client.cluster("KEYSLOT", k) for k in keys}) == 1
                tag = hunter_tag(n)
                hunter = [f"{prefix}{tag}:rate", f"{prefix}{tag}:idem:ab"]
                assert len({client.cluster("KEYSLOT", k) for k in hunter}) == 1
    finally:
        client.close()


async def _all_delivered(api: Api, hunt_ids: list[int]) -> None:
    pool: asyncpg.Pool = api.client.app[SERVICES].pool
    sql = "SELECT count(*) FROM live_events WHERE delivered_at IS NULL AND hunt_id = ANY($1)"
    while await pool.fetchval(sql, hunt_ids):
        await asyncio.sleep(0.05)
