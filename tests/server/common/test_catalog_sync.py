"""Several server processes on one database agree on the catalog: NOTIFY first, polls behind it.

Two `create_app(settings)` test clients stand for two processes: each has its own in-memory
catalog, its own pool and its own listener.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from geo.coords import LatLon
from infra.settings import Settings
from server.app import create_app
from server.common.catalog import CHANNEL, Catalog, kept_current
from server.http.app_keys import SERVICES
from tests.support.api import Api
from tests.support.builders import FIVE_KM_NORTH, TIMES_SQUARE, at, iso, make_hunt

SYNC_S = 3.0
# Far fewer rejections than this per minute would trip the rate limit while a test polls.
FAST_RULES = {"scans_per_minute": 10_000}


@pytest.fixture
async def second(aiohttp_client: Any, settings: Settings) -> Api:
    """Another server process on the same database and Redis."""
    return Api(await aiohttp_client(create_app(settings)), settings)


def catalog_of(api: Api) -> Catalog:
    return api.client.server.app[SERVICES].catalog


async def eventually(check: Callable[[], Awaitable[bool]], within_s: float = SYNC_S) -> float:
    """Seconds until `check()` held; fails if it never did within `within_s`."""
    start = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - start
        if time.monotonic() - start > within_s:
            pytest.fail(f"not seen within {within_s} s")
        await asyncio.sleep(0.05)


async def scan_status(api: Api, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    return await api.call("POST", "/v1/scans", headers=headers, json=body)


async def test_clue_created_on_a_is_known_to_b_without_a_scan(api: Api, second: Api) -> None:
    hunt = await make_hunt(api, rules=FAST_RULES)
    clue = await hunt.clue()
    catalog_b = catalog_of(second)

    async def known() -> bool:
        known_clue = catalog_b.clues.get(clue["id"])
        hunt_id = catalog_b.hunt_ids.get(hunt.slug)
        return (
            known_clue is not None
            and hunt_id == known_clue.hunt_id
            and known_clue.collectible_id in catalog_b.collectibles
        )

    await eventually(known)
    # B's search index holds it too, and B's scans accept it.
    _, found = await second.call(
        "GET",
        f"/v1/hunts/{hunt.slug}/clues",
        200,
        headers=second.organiser,
        params={"near": f"{TIMES_SQUARE[0]},{TIMES_SQUARE[1]}"},
    )
    assert [c["id"] for c in found] == [clue["id"]]
    _, me = await second.hunter()
    await second.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )


async def test_clue_moved_on_a_is_scanned_at_its_new_place_on_b(api: Api, second: Api) -> None:
    hunt = await make_hunt(api, rules=FAST_RULES)
    clue = await hunt.clue(geofence={"radius_m": 50})
    _, me = await second.hunter()
    body = {"code": hunt.code(clue), **at(FIVE_KM_NORTH)}
    # B knows the clue at its first place.
    _, answer = await second.call("POST", "/v1/scans", 422, headers=me, json=body)
    assert answer["code"] == "outside_geofence"
    await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        200,
        headers=api.organiser,
        json={"location": {"lat": FIVE_KM_NORTH[0], "lon": FIVE_KM_NORTH[1]}},
    )
    answers: list[tuple[int, Any]] = []

    async def accepted() -> bool:
        answers.append(await scan_status(second, me, body))
        return answers[-1][0] == 201

    await eventually(accepted)
    assert all(a["code"] == "outside_geofence" for status, a in answers[:-1]), answers
    # And the old place is now outside on B.
    _, other = await second.hunter()
    _, answer = await second.call(
        "POST", "/v1/scans", 422, headers=other, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )
    assert answer["code"] == "outside_geofence"


async def test_clue_deactivated_on_a_is_refused_on_b(api: Api, second: Api) -> None:
    hunt = await make_hunt(api, rules=FAST_RULES)
    clue = await hunt.clue()
    _, me = await second.hunter()
    body = {"code": hunt.code(clue)}  # no position: refused after the activity checks
    _, answer = await second.call("POST", "/v1/scans", 422, headers=me, json=body)
    assert answer["code"] == "location_required"
    await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 200, headers=api.organiser, json={"active": False}
    )

    async def refused() -> bool:
        _, answer = await scan_status(second, me, body)
        return answer["code"] == "clue_not_active"

    await eventually(refused)
    _, found = await second.call(
        "GET",
        f"/v1/hunts/{hunt.slug}/clues",
        200,
        headers=second.organiser,
        params={"near": f"{TIMES_SQUARE[0]},{TIMES_SQUARE[1]}"},
    )
    assert found == []
    # Back on, on A: B accepts it again.
    await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 200, headers=api.organiser, json={"active": True}
    )

    async def accepted() -> bool:
        status, _ = await scan_status(second, me, {**body, **at(TIMES_SQUARE)})
        return status == 201

    await eventually(accepted)


async def test_clue_window_and_hunt_window_follow(api: Api, second: Api) -> None:
    hunt = await make_hunt(api, rules=FAST_RULES)
    clue = await hunt.clue()
    _, me = await second.hunter()
    body = {"code": hunt.code(clue)}
    _, answer = await second.call("POST", "/v1/scans", 422, headers=me, json=body)
    assert answer["code"] == "location_required"
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 200, headers=api.organiser, json={"active_from": later}
    )

    def code_is(expected: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            _, answer = await scan_status(second, me, body)
            return answer.get("code") == expected

        return check

    await eventually(code_is("clue_not_active"))
    # The hunt's own window, changed on A, closes the hunt on B.
    past = datetime.now(UTC) - timedelta(hours=1)
    await api.call(
        "PATCH",
        f"/v1/hunts/{hunt.slug}",
        200,
        headers=api.organiser,
        json={"starts_at": iso(past - timedelta(hours=1)), "ends_at": iso(past)},
    )
    await eventually(code_is("hunt_not_active"))


# --- the poll fallback -------------------------------------------------------------------------


async def _connect(settings: Settings) -> asyncpg.Connection:
    from infra.db import init_connection

    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    await init_connection(conn)
    return conn


async def test_poll_catches_changes_made_while_nobody_listened(
    api: Api, settings: Settings
) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(geofence={"radius_m": 20})
    conn = await _connect(settings)
    try:
        catalog = Catalog()
        await catalog.load_all(conn)
        hunt_id = catalog.hunt_ids[hunt.slug]
        assert catalog.clues[clue["id"]].location == LatLon(*TIMES_SQUARE)
        assert [k for k, _ in catalog.fences_of(hunt_id).near(LatLon(*TIMES_SQUARE), 10)] == [
            clue["id"]
        ]
        # Changed behind its back (the NOTIFY goes to nobody).
        await conn.execute(
            "UPDATE clues SET lat = $2, lon = $3 WHERE id = $1", clue["id"], *FIVE_KM_NORTH
        )
        added = await hunt.clue(kind="social")
        await conn.execute(
            "UPDATE hunts SET name = 'Renamed', ends_at = now() + interval '2 h' WHERE id = $1",
            hunt_id,
        )
        assert catalog.clues[clue["id"]].location == LatLon(*TIMES_SQUARE)
        assert added["id"] not in catalog.clues
        await catalog.poll(conn)
        moved = catalog.clues[clue["id"]]
        assert moved.location == LatLon(*FIVE_KM_NORTH)
        assert moved.fence is not None and moved.fence.distance_m(LatLon(*FIVE_KM_NORTH)) == 0
        index = catalog.fences_of(hunt_id)
        assert index.near(LatLon(*TIMES_SQUARE), 10) == []
        assert [k for k, _ in index.near(LatLon(*FIVE_KM_NORTH), 10)] == [clue["id"]]
        assert added["id"] in catalog.clues
        assert catalog.hunts[hunt_id].ends_at - datetime.now(UTC) < timedelta(hours=2, seconds=5)
        # Switched off behind its back: out of the index at the next poll.
        await conn.execute("UPDATE clues SET active = false WHERE id = $1", clue["id"])
        await catalog.poll(conn)
        assert catalog.clues[clue["id"]].active is False
        assert index.near(LatLon(*FIVE_KM_NORTH), 10) == []
        # A poll with nothing new changes nothing.
        before = dict(catalog.clues)
        await catalog.poll(conn)
        assert catalog.clues == before
    finally:
        await conn.close()


async def test_poll_catches_a_commit_that_was_late(api: Api, settings: Settings) -> None:
    """A row whose revision was taken before a newer row's, but committed after a poll."""
    hunt = await make_hunt(api)
    slow = await hunt.clue()
    fast = await hunt.clue()
    conn, writer = await _connect(settings), await _connect(settings)
    try:
        catalog = Catalog()
        await catalog.load_all(conn)
        late = writer.transaction()
        await late.start()
        await writer.execute(
            "UPDATE clues SET label = 'late', active = false WHERE id = $1", slow["id"]
        )  # takes its revision now
        await conn.execute("UPDATE clues SET active = false WHERE id = $1", fast["id"])
        await catalog.poll(conn)
        assert catalog.clues[fast["id"]].active is False
        assert catalog.clues[slow["id"]].active is True  # not committed yet
        await late.commit()
        await catalog.poll(conn)
        assert catalog.clues[slow["id"]].active is False
    finally:
        await writer.close()
        await conn.close()


async def test_follower_survives_a_lost_listener_and_stops_promptly(
    api: Api, settings: Settings
) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    from infra.db import init_connection

    assert settings.database_url
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=1,
        max_size=4,
        init=init_connection,
        server_settings={"application_name": "catalog-follow-test"},
    )
    admin = await _connect(settings)
    try:
        catalog = Catalog()
        async with kept_current(catalog, pool, poll_s=0.2):
            assert catalog.clues[clue["id"]].active is True
            # Kill every listener of this process's pool: changes still arrive, by poll.
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'catalog-follow-test' AND query LIKE 'LISTEN%'"
            )
            assert killed == 1
            await api.call(
                "PATCH",
                f"/v1/clues/{clue['id']}",
                200,
                headers=api.organiser,
                json={"active": False},
            )

            async def off() -> bool:
                return catalog.clues[clue["id"]].active is False

            await eventually(off)

            async def listening_again() -> bool:
                count = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
                    " AND application_name = 'catalog-follow-test'"
                )
                return bool(count == 1)

            await eventually(listening_again)
            await api.call(
                "PATCH",
                f"/v1/clues/{clue['id']}",
                200,
                headers=api.organiser,
                json={"active": True},
            )

            async def on() -> bool:
                return catalog.clues[clue["id"]].active is True

            await eventually(on)
        # A storm of notifications while the follower is being stopped must not keep it alive.
        for _ in range(15):
            storm = None
            try:
                async with asyncio.timeout(5):
                    async with kept_current(Catalog(), pool, poll_s=60):
                        storm = asyncio.create_task(_notify_storm(admin))
                        await asyncio.sleep(0.02)
                        stopping = time.monotonic()
                stopped_in = time.monotonic() - stopping
            except TimeoutError:
                pytest.fail("the catalog follower did not stop")
            finally:
                if storm is not None:
                    storm.cancel()
                    await asyncio.gather(storm, return_exceptions=True)
            assert stopped_in < 1, f"the catalog follower took {stopped_in:.1f} s to stop"
    finally:
        await admin.close()
        await asyncio.wait_for(pool.close(), 10)


async def _notify_storm(conn: asyncpg.Connection) -> None:
    while True:
        await conn.execute(f"SELECT pg_notify('{CHANNEL}', 'hunts:0')")


async def test_a_burst_of_notifications_is_taken_in_batches_grouped_by_table() -> None:
    from infra.listen import BATCH, Notifications
    from server.common import catalog as catalog_module

    notifications = Notifications(CHANNEL)
    notify = notifications._on_notify
    notify(None, 0, CHANNEL, "hunts:7")
    for n in range(BATCH + 5):
        notify(None, 0, CHANNEL, f"clues:{n}")
    notify(None, 0, CHANNEL, "bogus")
    first = await notifications.wait(1.0)
    assert len(first) == BATCH
    batch = catalog_module.by_table(first)
    assert batch["hunts"] == [7]
    assert batch["clues"] == list(range(BATCH - 1))
    # Nothing taken is lost: the rest waits for the next round, where bogus payloads are dropped.
    rest = await notifications.wait(1.0)
    assert len(rest) == 6 + 1
    assert catalog_module.by_table(rest) == {"clues": list(range(BATCH - 1, BATCH + 5))}
    # With nothing waiting, the poll is due once the timeout passes.
    assert await notifications.wait(0.05) == []
