"""Taste twins count fans' moments both hunters loved beside the episodes they found: with a
found in common out of u found by either, and b moments both loved, the similarity is
(a + b) / (u + b); between discoverable hunters only."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api
from tests.support.fan_tokens import discoverable
from tests.support.moments import Episode, Fan, approved_moment


async def love(api: Api, moment: dict[str, Any], fan: Fan) -> None:
    await api.call("PUT", f"/v1/moments/{moment['id']}/love", 200, headers=fan.headers)


async def test_loved_moments_bring_twins_closer(api: Api) -> None:
    a = await Episode.make(api)
    b, c = await a.another(), await a.another()

    async def hunter(*episodes: Episode) -> Fan:
        fan = Fan(*await api.hunter())
        for episode in episodes:
            await episode.finder(fan)
        return fan

    m1 = await approved_moment(api, a, await hunter(a), title="m1")
    m2 = await approved_moment(api, b, await hunter(b), title="m2")

    caller = await hunter(a, b)
    x = await hunter(a, b, c)  # 2/3 found; loves m1: (2 + 1) / (3 + 1)
    y = await hunter(a, b, c)  # 2/3 found; loves nothing: 2/3
    v = await hunter(a)  # 1/2 found; loves nothing: 1/2
    z = await hunter(c)  # nothing found in common; loves m1 and m2: 2 / (3 + 2)
    w = await hunter(a, b)  # would be 1: loves m1 and m2, but not discoverable
    for fan in (caller, x, y, v, z):
        await discoverable(api, fan.headers, True)
    for fan, moments in ((caller, (m1, m2)), (x, (m1,)), (z, (m1, m2)), (w, (m1, m2))):
        for moment in moments:
            await love(api, moment, fan)

    _, body = await api.call("GET", "/v1/me/twins", 200, headers=caller.headers)
    ranked = [(t["hunter_id"], t["similarity"], sorted(t["shared"])) for t in body["twins"]]
    assert ranked == [
        (x.hunter_id, 0.75, sorted([a.key, b.key])),
        (y.hunter_id, round(2 / 3, 6), sorted([a.key, b.key])),
        (v.hunter_id, 0.5, [a.key]),
        (z.hunter_id, 0.4, []),
    ]
    # Symmetric: the caller is x's twin by the same measure.
    _, body = await api.call("GET", "/v1/me/twins", 200, headers=x.headers)
    mine = {t["hunter_id"]: t["similarity"] for t in body["twins"]}
    assert mine[caller.hunter_id] == 0.75

    # Taking a love back, or stepping out of discovery, takes it out of the measure.
    await api.call("DELETE", f"/v1/moments/{m1['id']}/love", 200, headers=x.headers)
    await discoverable(api, z.headers, False)
    _, body = await api.call("GET", "/v1/me/twins", 200, headers=caller.headers)
    ranked = [(t["hunter_id"], t["similarity"]) for t in body["twins"]]
    # x and y are alike now: 2/3 each, the same in common, the lower id first.
    assert ranked == [
        (x.hunter_id, round(2 / 3, 6)),
        (y.hunter_id, round(2 / 3, 6)),
        (v.hunter_id, 0.5),
    ]
