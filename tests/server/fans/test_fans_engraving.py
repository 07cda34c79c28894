"""Engravings end to end: a note and a sketch on a held find, shown in the token's metadata and
served as the server's own re-encoding; once only; only by the token's current holder (the
finder before the mint, the wallet holding it after, as the Transfer follower records it);
hostile SVGs and broken PNGs refused with nothing stored."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from PIL import Image, PngImagePlugin
from web3 import AsyncWeb3

from infra.settings import Settings
from tests.support.api import Api, bearer
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.identity import siwe
from tests.support.minting import all_minted, scan, wait_until, worker_task

CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(size: tuple[int, int] = (32, 24), colour: tuple[int, ...] = (200, 30, 90, 255)) -> bytes:
    image = Image.new("RGBA", size, colour)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-gps 40.758,-73.9855")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A few KB of PNG that would decode to side x side pixels (400 MB for 20,000)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    return out.getvalue()


def noisy_png() -> bytes:
    """Over 256 KB: random pixels do not compress."""
    out = io.BytesIO()
    Image.frombytes("RGB", (400, 400), bytes(range(256)) * 1875).save(
        out, format="PNG", compress_level=0
    )
    return out.getvalue()


SVG_OK = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    ' viewBox="0 0 10 10" data-x="dropped">'
    "<metadata><author>someone</author></metadata>"
    '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
    '<path id="p" d="M0 0 L10 10" stroke="black" fill="url(#g)"/>'
    '<use xlink:href="#p" transform="translate(1,1)"/>'
    '<text x="1" y="9">Jibaro &amp; me</text></svg>'
)

HOSTILE_SVGS = {
    "script": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "foreignObject": (
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>x</div></foreignObject></svg>'
    ),
    "external use": (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<use xlink:href="https://evil.example/s.svg#a"/></svg>'
    ),
    "external image": (
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/t.png"/></svg>'
    ),
    "javascript link": (
        '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>'
    ),
    "external url() fill": (
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/#g)"/></svg>'
    ),
    "style import": (
        '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);'
        "</style></svg>"
    ),
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>'
    ),
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'
    ),
    "external DTD": (
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"'
        ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    ),
    "stylesheet instruction": (
        '<?xml version="1.0"?><?xml-stylesheet href="https://evil.example/x.css"?>'
        '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    ),
    "not xml": "<svg><rect></svg",
    "html": "<html><body>hi</body></html>",
}


def broken_pngs() -> dict[str, str]:
    good = png((64, 64))
    return {
        "truncated PNG": b64(good[: len(good) // 2]),
        "PNG missing its end": b64(good[:-12]),
        "PNG with a corrupt chunk": b64(good[:40] + b"\x00" * 8 + good[48:]),
        "PNG decompression bomb": b64(png_bomb()),
        "PNG over 2048 px": b64(png_bomb(2049)),
        "PNG over 256 KB": b64(noisy_png()),
        "not base64": "@@@@",
    }


async def found(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    _, answer = await api.call("POST", "/v1/scans", 201, headers=headers, json=body)
    find: dict[str, Any] = answer["find"]
    return find


def engraving_path(find_id: int) -> str:
    return f"/v1/me/finds/{find_id}/engraving"


async def stored(db: asyncpg.Connection, find_id: int) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM engravings WHERE find_id = $1", find_id)
    return count


async def test_an_engraving_is_shown_in_the_metadata_and_its_sketch_is_our_png(api: Api) -> None:
    _, me = await api.hunter()
    find = await found(api, me)
    note = "Found it at dawn 🌅 with <b>Ana</b>"
    status, body = await api.call(
        "PUT",
        engraving_path(find["id"]),
        201,
        headers=me,
        json={"note": note, "sketch": b64(png())},
    )
    url = f"http://geohunt.test/v1/tokens/{find['id']}/sketch"
    assert body["note"] == note and body["sketch_type"] == "image/png"
    assert body["sketch_url"] == url and body["engraved_at"].endswith("Z")

    _, metadata = await api.call("GET", f"/v1/tokens/{find['id']}", 200)
    assert metadata["image"] == "https://img.example/x.png"  # the scene's, unchanged
    assert metadata["sketch_image"] == url
    assert {"trait_type": "Engraving", "value": note} in metadata["attributes"]

    response = await api.client.get(f"/v1/tokens/{find['id']}/sketch")
    assert response.status == 200 and response.content_type == "image/png"
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    served = await response.read()
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (32, 24)
        assert image.convert("RGBA").getpixel((5, 5)) == (200, 30, 90, 255)
        assert "Author" not in image.info and not getattr(image, "text", {})
    assert b"secret-gps" not in served and served != png()


async def test_an_svg_sketch_is_re_serialised_from_the_whitelist(api: Api) -> None:
    _, me = await api.hunter()
    find = await found(api, me)
    data_url = "data:image/svg+xml;base64," + b64(SVG_OK.encode())
    await api.call("PUT", engraving_path(find["id"]), 201, headers=me, json={"sketch": data_url})
    response = await api.client.get(f"/v1/tokens/{find['id']}/sketch")
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == CSP
    svg = (await response.read()).decode()
    assert svg.startswith(
        '<svg viewBox="0 0 10 10" width="1024" height="1024" font-size="16"'
        ' xmlns="http://www.w3.org/2000/svg">'
    )  # its own size, at most 1024 px a side: what a page draws of it is bounded
    assert '<path id="p" d="M0 0 L10 10" stroke="black" fill="url(#g)" />' in svg
    assert '<use href="#p" transform="translate(1,1)" />' in svg
    assert "Jibaro &amp; me" in svg
    assert "metadata" not in svg and "someone" not in svg and "data-x" not in svg
    _, metadata = await api.call("GET", f"/v1/tokens/{find['id']}", 200)
    assert not any(a["trait_type"] == "Engraving" for a in metadata["attributes"])
    assert metadata["sketch_image"].endswith(f"/v1/tokens/{find['id']}/sketch")


async def test_a_second_engraving_is_refused_and_the_first_stays(api: Api) -> None:
    _, me = await api.hunter()
    find = await found(api, me)
    await api.call("PUT", engraving_path(find["id"]), 201, headers=me, json={"note": "first"})
    for second in ({"note": "second"}, {"sketch": b64(png())}, {"note": "first"}):
        status, body = await api.call("PUT", engraving_path(find["id"]), headers=me, json=second)
        assert (status, body["code"]) == (409, "already_engraved"), body
    _, metadata = await api.call("GET", f"/v1/tokens/{find['id']}", 200)
    assert {"trait_type": "Engraving", "value": "first"} in metadata["attributes"]
    assert "sketch_image" not in metadata
    await api.call("GET", f"/v1/tokens/{find['id']}/sketch", 404)


async def test_racing_engravings_store_exactly_one(api: Api, db: asyncpg.Connection) -> None:
    _, me = await api.hunter()
    find = await found(api, me)
    answers = await asyncio.gather(
        *(
            api.call("PUT", engraving_path(find["id"]), headers=me, json={"note": f"n{i}"})
            for i in range(8)
        )
    )
    assert sorted(status for status, _ in answers) == [201] + [409] * 7, answers
    winner = next(body["note"] for status, body in answers if status == 201)
    assert await db.fetchval("SELECT note FROM engravings WHERE find_id = $1", find["id"]) == winner


async def test_someone_else_than_the_finder_of_an_unminted_find_is_refused(
    api: Api, db: asyncpg.Connection
) -> None:
    _, finder = await api.hunter()
    _, other = await api.hunter()
    find = await found(api, finder)
    status, body = await api.call(
        "PUT", engraving_path(find["id"]), headers=other, json={"note": "mine now"}
    )
    assert (status, body["code"]) == (403, "not_holder"), body
    assert await stored(db, find["id"]) == 0


async def test_unknown_find_and_empty_engraving(api: Api, db: asyncpg.Connection) -> None:
    _, me = await api.hunter()
    find = await found(api, me)
    status, body = await api.call("PUT", engraving_path(2**62), headers=me, json={"note": "x"})
    assert (status, body["code"]) == (404, "not_found")
    for empty in ({}, {"note": None, "sketch": None}, {"note": ""}, {"note": "x" * 281}):
        status, body = await api.call("PUT", engraving_path(find["id"]), headers=me, json=empty)
        assert (status, body["code"]) == (400, "invalid_request"), (empty, body)
    await api.call("PUT", engraving_path(find["id"]), 201, headers=me, json={"note": "x" * 280})


@pytest.mark.parametrize("name", sorted([*(f"svg: {n}" for n in HOSTILE_SVGS), *broken_pngs()]))
async def test_hostile_or_broken_sketches_are_refused_with_nothing_stored(
    api: Api, db: asyncpg.Connection, name: str
) -> None:
    sketch = (
        b64(HOSTILE_SVGS[name.removeprefix("svg: ")].encode())
        if name.startswith("svg: ")
        else broken_pngs()[name]
    )
    _, me = await api.hunter()
    find = await found(api, me)
    status, body = await api.call(
        "PUT", engraving_path(find["id"]), headers=me, json={"note": "hi", "sketch": sketch}
    )
    assert (status, body["code"]) == (400, "invalid_request"), (name, body)
    assert await stored(db, find["id"]) == 0
    await api.call("GET", f"/v1/tokens/{find['id']}/sketch", 404)
    # Refused, not spent: the holder may still engrave.
    await api.call("PUT", engraving_path(find["id"]), 201, headers=me, json={"note": "hi"})


# --- after the mint: the token's holder on chain -------------------------------------------------


async def test_after_the_mint_the_wallet_holding_the_token_engraves_not_the_finder(
    mint_api: Api,  # noqa: F811
    mint_settings: Settings,  # noqa: F811
    w3: AsyncWeb3,
    collectible: str,
) -> None:
    fan, friend = Account.create(), Account.create()
    fan_h = bearer((await siwe(mint_api, fan, 200))["token"])
    friend_h = bearer((await siwe(mint_api, friend, 200))["token"])
    hunt = await make_hunt(mint_api)
    kept, passed_on = await scan(mint_api, hunt, fan_h), await scan(mint_api, hunt, fan_h)
    assert mint_settings.database_url
    async with worker_task(mint_settings):
        await wait_until(lambda: all_minted(mint_settings.database_url or "", 2), what="mints")
    owner = await (
        w3.eth.contract(
            address=AsyncWeb3.to_checksum_address(collectible),
            abi=[
                {
                    "name": "ownerOf",
                    "type": "function",
                    "stateMutability": "view",
                    "inputs": [{"name": "tokenId", "type": "uint256"}],
                    "outputs": [{"name": "", "type": "address"}],
                }
            ],
        )
        .functions.ownerOf(kept["id"])
        .call()
    )
    assert owner.lower() == fan.address.lower()
    # What the Transfer follower records after `passed_on` moved from the fan to the friend.
    conn = await asyncpg.connect(mint_settings.database_url)
    try:
        await conn.execute(
            "INSERT INTO token_holders (chain_id, contract, token_id, owner, transfers,"
            " block_number) VALUES (31337, $1, $2, $3, 1, 1)",
            collectible.lower(),
            passed_on["id"],
            friend.address.lower(),
        )
        path = engraving_path(passed_on["id"])
        status, body = await mint_api.call("PUT", path, headers=fan_h, json={"note": "gone"})
        assert (status, body["code"]) == (403, "not_holder"), body
        assert await stored(conn, passed_on["id"]) == 0
        await mint_api.call("PUT", path, 201, headers=friend_h, json={"note": "a gift"})
        # Minted, not yet seen by the follower: the wallet it was minted to holds it.
        path = engraving_path(kept["id"])
        status, body = await mint_api.call("PUT", path, headers=friend_h, json={"note": "no"})
        assert (status, body["code"]) == (403, "not_holder"), body
        await mint_api.call("PUT", path, 201, headers=fan_h, json={"note": "kept"})
    finally:
        await conn.close()
    _, metadata = await mint_api.call("GET", f"/v1/tokens/{passed_on['id']}", 200)
    assert {"trait_type": "Engraving", "value": "a gift"} in metadata["attributes"]
