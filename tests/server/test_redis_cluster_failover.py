"""geohunt on a Redis Cluster while its layout changes, on a cluster of this module's own (three
primaries, three replicas, started here): scans and pushes go on while a hunt's slot moves to
another primary, then while a primary fails over to its replica. The move runs first: the
failover leaves a primary without a replica."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from infra.local_redis_cluster import RedisCluster, available
from server.common.redis_keys import board_key, marker_key, stream_key
from server.http.app_keys import SERVICES
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import make_hunt, ws_until
from tests.support.redis_cluster import hunt_id_of, redis_failures, scan_at

pytestmark = pytest.mark.skipif(not available(), reason="Debian's redis-server and redis-cli")


async def test_scans_and_pushes_go_on_while_the_hunts_slot_moves(
    api_on_cluster: Api, redis_cluster: RedisCluster, caplog: pytest.LogCaptureFixture
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
        source, target = await asyncio.to_thread(redis_cluster.move_slot_of, key)
        assert redis_cluster.owner_of(key) == target != source
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
    assert redis_cluster.crossslot_errors() == {}


async def test_scans_go_on_while_a_primary_fails_over(
    api_on_cluster: Api, redis_cluster: RedisCluster, caplog: pytest.LogCaptureFixture
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
        dead = redis_cluster.kill_primary_of(stream_key(prefix, hunt_id))
        killed_at = len(statuses)
        started = time.monotonic()
        await asyncio.to_thread(redis_cluster.wait_promoted, dead)
        promoted_at = len(statuses)
        await asyncio.sleep(1.5)  # the client learns the new layout
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
    assert redis_cluster.crossslot_errors() == {}
