"""Loves: one per hunter and moment, whatever races; counted exactly; lists sorted by loves or
by date. A burst of loves on one moment never waits on the moment's row: it completes while
another transaction holds that row locked (a love inserts, it updates nothing)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import asyncpg

from tests.support.api import Api
from tests.support.moments import Episode, Fan, approved_moment

# A bound against hanging, never a measurement.
HANG_S = 60.0
IN_FLIGHT = 20


async def love(api: Api, moment_id: int, headers: dict[str, str], expect: int = 200) -> Any:
    _, body = await api.call("PUT", f"/v1/moments/{moment_id}/love", expect, headers=headers)
    return body


async def unlove(api: Api, moment_id: int, headers: dict[str, str]) -> Any:
    _, body = await api.call("DELETE", f"/v1/moments/{moment_id}/love", 200, headers=headers)
    return body


async def test_a_love_is_once_per_hunter_and_can_be_taken_back(api: Api) -> None:
    episode = await Episode.make(api)
    author = await episode.finder()
    moment = await approved_moment(api, episode, author)
    _, fan = await api.hunter()
    assert await love(api, moment["id"], fan) == {
        "moment_id": moment["id"],
        "loves": 1,
        "loved": True,
    }
    assert (await love(api, moment["id"], fan))["loves"] == 1
    _, seen = await api.call("GET", f"/v1/moments/{moment['id']}", 200, headers=fan)
    assert (seen["loves"], seen["loved"]) == (1, True)
    assert await unlove(api, moment["id"], fan) == {
        "moment_id": moment["id"],
        "loves": 0,
        "loved": False,
    }
    assert (await unlove(api, moment["id"], fan))["loves"] == 0
    # Only approved moments are loved; only hunters love.
    _, pending = await episode.moment(author, title="not yet")
    await love(api, pending["id"], fan, expect=404)
    await love(api, 2**62 - 1, fan, expect=404)
    await love(api, moment["id"], api.organiser, expect=403)
    await api.call("PUT", f"/v1/moments/{moment['id']}/love", 401)


async def test_fifty_racing_loves_by_one_hunter_count_once(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api)
    moment = await approved_moment(api, episode, await episode.finder())
    _, fan = await api.hunter()
    answers = await asyncio.gather(*(love(api, moment["id"], fan) for _ in range(50)))
    assert {a["loved"] for a in answers} == {True}
    assert (
        await db.fetchval("SELECT count(*) FROM moment_loves WHERE moment_id = $1", moment["id"])
        == 1
    )
    pending = await db.fetchval(
        "SELECT coalesce(sum(delta), 0) FROM moment_love_deltas WHERE moment_id = $1",
        moment["id"],
    )
    assert pending == 1  # one +1, not fifty
    _, listed = await api.call("GET", f"/v1/hunts/{episode.slug}/moments?sort=loved", 200)
    assert [(m["id"], m["loves"]) for m in listed] == [(moment["id"], 1)]


async def test_a_burst_on_one_moment_never_waits_on_its_row(
    api: Api, db: asyncpg.Connection, database_url: str
) -> None:
    """300 hunters love one moment at once, each three times, and a third of them take it back:
    every request completes while another transaction holds the moment's row FOR UPDATE (which
    any UPDATE of the row, or a foreign key's share lock on it, would wait for), and the
    counts come out exact."""
    episode = await Episode.make(api)
    moment = await approved_moment(api, episode, await episode.finder())
    fans = [(await api.hunter())[1] for _ in range(300)]
    holder = await asyncpg.connect(database_url)
    try:
        lock = holder.transaction()
        await lock.start()
        await holder.execute("SELECT 1 FROM moments WHERE id = $1 FOR UPDATE", moment["id"])

        # As many requests in flight as the server's pool has connections: a burst the
        # database sees whole, and not one the server's admission control would shed.
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def fan_loves(i: int, headers: dict[str, str]) -> None:
            for _ in range(3):
                async with gate:
                    await love(api, moment["id"], headers)
            if i % 3 == 0:
                async with gate:
                    await unlove(api, moment["id"], headers)

        await asyncio.wait_for(
            asyncio.gather(*(fan_loves(i, h) for i, h in enumerate(fans))), HANG_S
        )
        await lock.rollback()
    finally:
        await holder.close()
    expected = len(fans) - len(fans[::3])
    _, seen = await api.call("GET", f"/v1/moments/{moment['id']}", 200)
    assert seen["loves"] == expected
    _, listed = await api.call("GET", f"/v1/hunts/{episode.slug}/moments?sort=loved", 200)
    assert listed[0]["loves"] == expected
    # Folded by the list: no delta left, the sort key is exact.
    assert await db.fetchval("SELECT loves FROM moments WHERE id = $1", moment["id"]) == expected
    assert (
        await db.fetchval(
            "SELECT count(*) FROM moment_love_deltas WHERE moment_id = $1", moment["id"]
        )
        == 0
    )


async def test_lists_sorted_by_loves_or_by_date(api: Api) -> None:
    episode = await Episode.make(api)
    second = await episode.another()
    authors: list[Fan] = [await episode.finder() for _ in range(3)]
    other_author = await second.finder()
    made = [await approved_moment(api, episode, a, title=f"m{i}") for i, a in enumerate(authors)]
    other = await approved_moment(api, second, other_author, title="other episode")
    fans = [(await api.hunter())[1] for _ in range(4)]
    # m1: 4 loves, other: 3, m0: 1, m2: 0 (loved once, then taken back).
    plan = {made[1]["id"]: 4, other["id"]: 3, made[0]["id"]: 1}
    await asyncio.gather(
        *(love(api, moment_id, fans[k]) for moment_id, n in plan.items() for k in range(n))
    )
    await love(api, made[2]["id"], fans[0])
    await unlove(api, made[2]["id"], fans[0])

    path = f"/v1/hunts/{episode.slug}/moments"
    _, loved = await api.call("GET", path + "?sort=loved", 200, headers=fans[3])
    assert [(m["title"], m["loves"]) for m in loved] == [
        ("m1", 4),
        ("other episode", 3),
        ("m0", 1),
        ("m2", 0),
    ]
    assert [m["loved"] for m in loved] == [True, False, False, False]
    _, recent = await api.call("GET", path + "?sort=recent", 200)
    assert [m["title"] for m in recent] == ["other episode", "m2", "m1", "m0"]
    _, default = await api.call("GET", path, 200)
    assert default == recent
    _, one = await api.call("GET", f"{path}?sort=loved&collectible={second.key}", 200)
    assert [m["title"] for m in one] == ["other episode"]
    _, page = await api.call("GET", path + "?sort=loved&limit=2&offset=1", 200)
    assert [m["title"] for m in page] == ["other episode", "m0"]
    await api.call("GET", f"{path}?collectible=no-such-episode", 404)
    await api.call("GET", f"{path}?sort=best", 400)
    await api.call("GET", f"{path}?limit=0", 400)
    counted = Counter(m["collectible"] for m in recent)
    assert counted == {episode.key: 3, second.key: 1}
