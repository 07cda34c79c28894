"""Scene ratings: per episode, the loves of fans' approved moments per minute of the episode, in
`GET /v1/hunts/{slug}/stats` (`scenes`), its CSV, and the ratings page's heatmap strips; a
seeded scenario against hand-computed figures."""

from __future__ import annotations

import csv
import io
import re

from tests.support.api import Api
from tests.support.moments import Episode, approved_moment, decide


async def love(api: Api, moment_id: int, headers: dict[str, str]) -> None:
    await api.call("PUT", f"/v1/moments/{moment_id}/love", 200, headers=headers)


async def test_loves_per_minute_match_the_hand_computed_scenario(api: Api) -> None:
    jibaro = await Episode.make(api)
    robots = await jibaro.another()
    authors = [await jibaro.finder() for _ in range(4)]
    robots_author = await robots.finder()
    fans = [(await api.hunter())[1] for _ in range(5)]

    # Jibaro: two moments in minute 0 (0:30 and 0:45), one in minute 12 (12:34), one at the
    # very end (120:00), one hidden by a takedown and one pending (neither counts).
    early = await approved_moment(api, jibaro, authors[0], scene_s=30, title="opening")
    early2 = await approved_moment(api, jibaro, authors[1], scene_s=45, title="the lake")
    pond = await approved_moment(api, jibaro, authors[2], scene_s=754, title="the pond")
    end = await approved_moment(api, jibaro, authors[3], scene_s=7200, title="the end")
    taken = await approved_moment(api, jibaro, authors[0], scene_s=760, title="taken down")
    await jibaro.moment(authors[1], scene_s=30, title="pending")
    # Robots: one moment at 3:10.
    robot = await approved_moment(api, robots, robots_author, scene_s=190, title="exit")

    loves = {early["id"]: 2, early2["id"]: 3, pond["id"]: 5, end["id"]: 0, robot["id"]: 1}
    for moment_id, n in loves.items():
        for fan in fans[:n]:
            await love(api, moment_id, fan)
    for fan in fans[:4]:
        await love(api, taken["id"], fan)
    await decide(api, taken["id"], "reject", "a spoiler")
    # A love taken back counts no more.
    await api.call("DELETE", f"/v1/moments/{pond['id']}/love", 200, headers=fans[0])

    _, stats = await api.call("GET", f"/v1/hunts/{jibaro.slug}/stats", 200, headers=api.organiser)
    by_key = {c["key"]: c for c in stats["collectibles"]}
    assert by_key[jibaro.key]["scenes"] == [
        {"minute": 0, "loves": 5, "moments": 2},
        {"minute": 12, "loves": 4, "moments": 1},
        {"minute": 120, "loves": 0, "moments": 1},
    ]
    assert by_key[robots.key]["scenes"] == [{"minute": 3, "loves": 1, "moments": 1}]

    # The same after a list folded the loves into the moments' counts.
    await api.call("GET", f"/v1/hunts/{jibaro.slug}/moments?sort=loved", 200)
    _, again = await api.call("GET", f"/v1/hunts/{jibaro.slug}/stats", 200, headers=api.organiser)
    assert again["collectibles"] == stats["collectibles"]

    response = await api.client.get(
        f"/v1/hunts/{jibaro.slug}/stats?format=csv&table=scenes", headers=api.organiser
    )
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["collectible", "episode", "minute", "loves", "moments"]
    assert rows[1:] == [
        [jibaro.key, "Jibaro", "0", "5", "2"],
        [jibaro.key, "Jibaro", "12", "4", "1"],
        [jibaro.key, "Jibaro", "120", "0", "1"],
        [robots.key, "Jibaro", "3", "1", "1"],
    ]

    # The ratings page draws a strip per episode, a cell per minute with moments.
    token = api.organiser["Authorization"].removeprefix("Bearer ")
    response = await api.client.get(f"/organisers/{jibaro.slug}?token={token}")
    assert response.status == 200
    page = await response.text()
    section = page[page.index('<section id="scenes">') :]
    section = section[: section.index("</section>")]
    cells = re.findall(r'class="scene" data-minute="(\d+)" data-loves="(\d+)"', section)
    assert cells == [("0", "5"), ("12", "4"), ("120", "0"), ("3", "1")]
    assert "Loved scenes" in section and "<script" not in page


async def test_a_hunt_without_moments_has_empty_scenes(api: Api) -> None:
    episode = await Episode.make(api)
    _, stats = await api.call("GET", f"/v1/hunts/{episode.slug}/stats", 200, headers=api.organiser)
    assert [c["scenes"] for c in stats["collectibles"]] == [[]]
    response = await api.client.get(
        f"/v1/hunts/{episode.slug}/stats?format=csv&table=scenes", headers=api.organiser
    )
    assert (await response.text()) == "collectible,episode,minute,loves,moments\r\n"
