"""Making a moment: only a hunter holding a find of the episode, at most the hunt's
`moments_per_hunter` (even when racing), its text normalised and checked, its sketch
re-encoded by the engravings' sanitiser; whatever is refused stores nothing."""

from __future__ import annotations

import asyncio
import io

import asyncpg
import pytest
from PIL import Image, PngImagePlugin

from tests.support.api import Api
from tests.support.moments import Episode, Fan, base64_of, tiny_png


async def stored(db: asyncpg.Connection, fan: Fan) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM moments WHERE author_id = $1", fan.hunter_id
    )
    return count


async def test_a_finder_makes_a_pending_moment(api: Api, db: asyncpg.Connection) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    _, moment = await episode.moment(
        fan, scene_s=754, title="  Jibaro\u0301's pond ", note="Two seconds\nof silence"
    )
    assert moment["status"] == "pending"
    assert moment["title"] == "Jibaró's pond"  # NFC (o + combining acute is ó), trimmed
    assert moment["scene"] == "12:34" and moment["scene_s"] == 754
    assert moment["note"] == "Two seconds\nof silence"
    assert moment["collectible"] == episode.key and moment["hunt"] == episode.slug
    assert moment["loves"] == 0 and moment["loved"] is False
    assert moment["token_id"] is None and moment["mint"] is None
    assert moment["sketch_url"] is None
    assert moment["author"]["handle"]
    # Pending: the author sees it, the public does not.
    await api.call("GET", f"/v1/moments/{moment['id']}", 200, headers=fan.headers)
    await api.call("GET", f"/v1/moments/{moment['id']}", 404)
    _, listed = await api.call("GET", f"/v1/hunts/{episode.slug}/moments", 200)
    assert listed == []
    _, mine = await api.call("GET", "/v1/me/moments", 200, headers=fan.headers)
    assert [m["id"] for m in mine] == [moment["id"]]
    assert await stored(db, fan) == 1


async def test_only_a_holder_of_the_episode_makes_a_moment(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api)
    other = await episode.another()
    stranger = Fan(*await api.hunter())
    status, body = await episode.moment(stranger, expect=None)
    assert (status, body["code"]) == (403, "not_holder"), body
    # A find of another episode of the hunt is not a find of this one.
    fan = await other.finder()
    status, body = await episode.moment(fan, expect=None)
    assert (status, body["code"]) == (403, "not_holder"), body
    assert await stored(db, fan) == 0
    # Unknown hunt or collectible: 404.
    await episode.moment(fan, expect=404, collectible="no-such-episode")
    await api.call(
        "POST",
        "/v1/hunts/no-such-hunt-here/moments",
        404,
        headers=fan.headers,
        json={"collectible": episode.key, "scene_s": 1, "title": "x"},
    )
    # Organisers and other roles make none.
    await api.call(
        "POST",
        f"/v1/hunts/{episode.slug}/moments",
        403,
        headers=api.organiser,
        json={"collectible": episode.key, "scene_s": 1, "title": "x"},
    )
    await api.call(
        "POST",
        f"/v1/hunts/{episode.slug}/moments",
        401,
        json={"collectible": episode.key, "scene_s": 1, "title": "x"},
    )


async def test_a_fan_who_sold_the_token_holds_nothing_and_the_buyer_holds_it(
    api: Api, db: asyncpg.Connection
) -> None:
    """The holder rule of engravings: after the mint, the owner the Transfer follower last
    recorded holds the token (written here as the follower and worker would)."""
    episode = await Episode.make(api)
    seller = await episode.finder()
    buyer = Fan(*await api.hunter())
    find_id = await db.fetchval("SELECT id FROM finds WHERE hunter_id = $1", seller.hunter_id)
    seller_wallet, buyer_wallet = "0x" + "1a" * 20, "0x" + "2b" * 20
    await db.execute(
        "UPDATE hunters SET wallet = $2 WHERE id = $1", seller.hunter_id, seller_wallet
    )
    await db.execute("UPDATE hunters SET wallet = $2 WHERE id = $1", buyer.hunter_id, buyer_wallet)
    await db.execute(
        "INSERT INTO mint_jobs (find_id, wallet, status, contract, chain_id, tx_hash, minted_at)"
        " VALUES ($1, $2, 'minted', '0xc0ffee', 31337, '0x01', now())"
        " ON CONFLICT (find_id) DO UPDATE SET status = 'minted', contract = '0xc0ffee',"
        " chain_id = 31337",
        find_id,
        seller_wallet,
    )
    # Minted and not moved yet: still the finder's.
    _, first = await episode.moment(seller, title="mine still")
    await db.execute(
        "INSERT INTO token_holders (chain_id, contract, token_id, owner, transfers, block_number)"
        " VALUES (31337, '0xc0ffee', $1, $2, 1, 10)",
        find_id,
        buyer_wallet,
    )
    status, body = await episode.moment(seller, expect=None)
    assert (status, body["code"]) == (403, "not_holder"), body
    _, bought = await episode.moment(buyer, title="bought it")
    assert bought["status"] == "pending" and first["id"] != bought["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 81}, "title"),
        ({"title": "bell\x07"}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": "spoof\u202eevil"}, "title"),
        ({"title": "e\u0301" * 81}, "title"),  # 162 sent, 81 after NFC
        ({"note": "x" * 281}, "note"),
        ({"note": "nul\x00"}, "note"),
        ({"note": "\n \n"}, "note"),
        ({"scene_s": -1}, "scene_s"),
        ({"scene_s": 7201}, "scene_s"),
        ({"scene_s": 12.5}, "scene_s"),
        ({"scene_s": "60"}, "scene_s"),
        ({"collectible": "Not A Key"}, "collectible"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_text_is_refused_and_nothing_stored(
    api: Api, db: asyncpg.Connection, body: dict[str, object], field: str
) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    status, problem = await episode.moment(fan, expect=None, **body)
    assert (status, problem["code"]) == (400, "invalid_request"), problem
    assert field in problem["detail"]
    assert await stored(db, fan) == 0
    quota = await db.fetchval(
        "SELECT count(*) FROM moment_quotas WHERE hunter_id = $1", fan.hunter_id
    )
    assert quota == 0  # a refused moment uses up nothing


def _png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-gps 40.758,-73.9855")
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")
    return out.getvalue()


BAD_SKETCHES = {
    "script": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "external image": (
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/t.png"/></svg>'
    ),
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    ),
    "not xml": "<svg><rect></svg",
}


@pytest.mark.parametrize("name", [*BAD_SKETCHES, "PNG bomb", "truncated PNG", "not base64"])
async def test_bad_sketches_are_refused_and_nothing_stored(
    api: Api, db: asyncpg.Connection, name: str
) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    if name in BAD_SKETCHES:
        sketch = base64_of(BAD_SKETCHES[name].encode())
    elif name == "PNG bomb":
        sketch = base64_of(_png_bomb())
    elif name == "truncated PNG":
        good = tiny_png((64, 64))
        sketch = base64_of(good[: len(good) // 2])
    else:
        sketch = "@@@@"
    status, problem = await episode.moment(fan, expect=None, sketch=sketch)
    assert (status, problem["code"]) == (400, "invalid_request"), problem
    assert await stored(db, fan) == 0


async def test_a_sketch_is_stored_as_the_servers_own_png(api: Api, db: asyncpg.Connection) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    sent = _png_with_metadata()
    _, moment = await episode.moment(fan, sketch=base64_of(sent))
    assert moment["sketch_url"] == f"http://geohunt.test/v1/moments/{moment['id']}/sketch"
    path = f"/v1/moments/{moment['id']}/sketch"
    await api.call("GET", path, 404)  # pending: not public
    response = await api.client.get(path, headers=fan.headers)
    assert response.status == 200 and response.content_type == "image/png"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "private, no-store"
    served = await response.read()
    assert served != sent and b"secret-gps" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (64, 48)


async def test_at_most_moments_per_hunter_even_when_racing(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api, rules={"moments_per_hunter": 3})
    fan = await episode.finder()
    answers = await asyncio.gather(
        *(episode.moment(fan, expect=None, title=f"take {i}") for i in range(12))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 3 + [409] * 9, answers
    assert {body["code"] for status, body in answers if status == 409} == {"moment_limit"}
    assert await stored(db, fan) == 3
    # Another hunt's limit is its own; a rule of 0 closes moments altogether.
    closed = await Episode.make(api, rules={"moments_per_hunter": 0})
    await closed.finder(fan)
    status, body = await closed.moment(fan, expect=None)
    assert (status, body["code"]) == (409, "moment_limit")
    _, about = await api.call("GET", f"/v1/hunts/{episode.slug}", 200)
    assert about["rules"]["moments_per_hunter"] == 3
    assert about["rules"]["moment_report_threshold"] == 5


async def test_the_rules_are_validated_with_the_hunt(api: Api) -> None:
    episode = await Episode.make(api)
    for rules in (
        {"moments_per_hunter": -1},
        {"moment_report_threshold": 0},
        {"moments_per_hunter": 1.5},
    ):
        await api.call(
            "PATCH", f"/v1/hunts/{episode.slug}", 400, headers=api.organiser, json={"rules": rules}
        )
    await api.call(
        "PATCH",
        f"/v1/hunts/{episode.slug}",
        200,
        headers=api.organiser,
        json={"rules": {"moments_per_hunter": 10, "moment_report_threshold": 2}},
    )
