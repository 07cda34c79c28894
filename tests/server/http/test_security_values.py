"""The HTTP edge against hostile values: forged and truncated codes, hostile text stored and
returned verbatim, and malformed query strings, path values and methods answered with a problem.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from hunt_engine.codes import static_code
from hunt_engine.keys import Keyring
from server.http.auth import Role, TokenIssuer
from tests.support.api import Api, bearer, unique
from tests.support.builders import TIMES_SQUARE, at, iso, make_hunt
from tests.support.security import (
    PROBLEM,
    Fixtures,
    assert_problem,
    call_raw,
    make_fixtures,
    problem_code,
)

# Text that breaks naive SQL, LIKE patterns, shells, HTML, JSON or Unicode handling.
HOSTILE = [
    "Robert'); DROP TABLE hunts;--",
    "%_\\ LIKE '%' ESCAPE '\\'",
    "\"double\" 'single' `back` ''quoted''",
    "$1 $$body$$ ::text; SELECT pg_sleep(5)",
    "emoji 🗺️ 🏴‍☠️ 👩🏽‍🚀 flags 🇫🇷",
    "bidi \u202eevil\u202c zero\u200bwidth\u200d e\u0301 (NFD) é (NFC)",
    "line\nbreak\ttab\r\nend",
    "<script>alert(1)</script> &amp; {{7*7}} ${7*7}",
    "\\u0000 and \\x00 as text, not as NUL",
    "astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010fffd",
    "  leading and trailing spaces  ",
]


@pytest.fixture
async def world(api: Api) -> Fixtures:
    return await make_fixtures(api)


# --- forged and truncated codes -------------------------------------------------------------------


async def test_forged_or_truncated_codes_are_invalid_code(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    other = await hunt.clue()
    hunter_id, me = await api.hunter()
    code = hunt.code(clue)
    marker, kid, clue_b36, tag = code.split(".")
    other_code = hunt.code(other)
    foreign = Keyring.derived(b"another root secret, 32 bytes!!!", ["1"], "1")
    base = api.settings.public_base_url
    forged = {
        "signed with another secret": static_code(foreign, clue["id"]),
        "another clue's id under this tag": f"{marker}.{kid}.{other_code.split('.')[2]}.{tag}",
        "one tag character changed": code[:-1] + ("A" if code[-1] != "A" else "B"),
        "tag of another clue": f"{marker}.{kid}.{clue_b36}.{other_code.split('.')[3]}",
        "static made rotating": f"r.{kid}.{clue_b36}.1.{tag}",
        "unknown key id": f"{marker}.zz.{clue_b36}.{tag}",
        "upper case": code.upper(),
        "leading zero in the id": f"{marker}.{kid}.0{clue_b36}.{tag}",
        "cyrillic look-alike": "\u0455" + code[1:],
        "truncated by one": code[:-1],
        "truncated by half": code[: len(code) // 2],
        "tag only": tag,
        "empty tag": f"{marker}.{kid}.{clue_b36}.",
        "url truncated": f"{base}/c/{code[:-3]}",
        "url without the code": f"{base}/c/",
        "url to another path": f"{base}/x/{code}",
        "padded to the limit": code + "A" * (512 - len(code)),
        "sql in a code": "s.1.1'); DROP TABLE clues;--.AAAAAAAAAAAAAAAA",
        "NUL in a code": f"{marker}.{kid}\x00.{clue_b36}.{tag}",
    }
    for name, bad in forged.items():
        status, body = await api.call(
            "POST", "/v1/scans", headers=me, json={"code": bad, **at(TIMES_SQUARE)}
        )
        assert status == 422 and body["code"] == "invalid_code", (name, status, body)
    verdicts = await db.fetch("SELECT verdict FROM scan_attempts WHERE hunter_id = $1", hunter_id)
    assert [v["verdict"] for v in verdicts] == ["invalid_code"] * len(forged)
    # The genuine code still works after all that.
    await api.call("POST", "/v1/scans", 201, headers=me, json={"code": code, **at(TIMES_SQUARE)})


# --- hostile text, stored and returned verbatim ---------------------------------------------------


async def test_hunt_and_collectible_text_is_verbatim(api: Api, db: asyncpg.Connection) -> None:
    now = datetime.now(UTC)
    for index, text in enumerate(HOSTILE):
        slug = unique("sec")
        description = text + "\n" + HOSTILE[-1 - index]
        _, made = await api.call(
            "POST",
            "/v1/hunts",
            201,
            headers=api.organiser,
            json={
                "slug": slug,
                "name": text,
                "description": description,
                "starts_at": iso(now - timedelta(hours=1)),
                "ends_at": iso(now + timedelta(hours=1)),
            },
        )
        assert (made["name"], made["description"]) == (text, description)
        key = f"k-{index}"
        collectible = {
            "key": key,
            "name": text,
            "episode": text[:200],
            "description": description,
            "image_url": "https://img.example/x.png?q=%27%22",
        }
        _, answer = await api.call(
            "POST", f"/v1/hunts/{slug}/collectibles", 201, headers=api.organiser, json=collectible
        )
        assert {k: answer[k] for k in collectible} == collectible
        _, fetched = await api.call("GET", f"/v1/hunts/{slug}", 200)
        assert (fetched["name"], fetched["description"]) == (text, description)
        assert {k: fetched["collectibles"][0][k] for k in collectible} == collectible
        renamed = HOSTILE[(index + 1) % len(HOSTILE)]
        _, patched = await api.call(
            "PATCH", f"/v1/hunts/{slug}", 200, headers=api.organiser, json={"name": renamed}
        )
        assert patched["name"] == renamed and patched["description"] == description
        row = await db.fetchrow("SELECT name, description FROM hunts WHERE slug = $1", slug)
        assert (row["name"], row["description"]) == (renamed, description)
    # The text was data, never SQL: the tables are all still there.
    assert await db.fetchval("SELECT count(*) FROM hunts") >= len(HOSTILE)


async def test_clue_text_and_token_subject_are_verbatim(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    collectible = await hunt.collectible()
    issuer = TokenIssuer(api.settings.jwt_key)
    for index, text in enumerate(HOSTILE):
        token, _ = issuer.issue(Role.ORGANISER, text, 600)
        who = bearer(token)
        city = text[:100]
        _, clue = await api.call(
            "POST",
            f"/v1/hunts/{hunt.slug}/clues",
            201,
            headers=who,
            json={"kind": "social", "collectible": collectible, "label": text, "city": city},
        )
        assert (clue["label"], clue["city"]) == (text, city)
        relabel = HOSTILE[(index + 3) % len(HOSTILE)]
        _, patched = await api.call(
            "PATCH", f"/v1/clues/{clue['id']}", 200, headers=who, json={"label": relabel}
        )
        assert patched["label"] == relabel
        _, history = await api.call("GET", f"/v1/clues/{clue['id']}/history", 200, headers=who)
        assert [h["by"] for h in history] == [text, text]
        assert history[1]["changes"]["label"] == {"from": text, "to": relabel}
        row = await db.fetchrow(
            "SELECT label, city, created_by FROM clues WHERE id = $1", clue["id"]
        )
        assert (row["label"], row["city"], row["created_by"]) == (relabel, city, text)
    _, listed = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["label"] for c in listed] == [
        HOSTILE[(i + 3) % len(HOSTILE)] for i in range(len(HOSTILE))
    ]


async def test_handle_device_id_and_idempotency_key_are_verbatim(
    api: Api, db: asyncpg.Connection
) -> None:
    # Handles allow letters, digits and `_-.`: `_` is LIKE's wildcard, `.` a regex one.
    for handle in (unique("a_b")[:28] + "._-", "___" + unique("")[-8:], "..." + unique("")[-8:]):
        hunter_id, me = await api.hunter(handle)
        _, mine = await api.call("GET", "/v1/me", 200, headers=me)
        assert mine["handle"] == handle and mine["hunter_id"] == hunter_id
    for handle in ("a%b", "a'b--", "a b", "é" * 5, "x;DROP"):
        status, body = await api.call("POST", "/v1/auth/hunters", json={"handle": handle})
        assert_problem(status, body, 400, "invalid_request")
    hunt = await make_hunt(api)
    for index, text in enumerate(HOSTILE):
        device = text[:128]
        # Idempotency keys travel in a header: every metacharacter, and UTF-8 beyond ASCII.
        key = f"key-{index}-'\";--%_*?[]\\$1 ключ-🗝 " + unique("")
        clue = await hunt.clue()
        hunter_id, me = await api.hunter()
        scan = {"code": hunt.code(clue), **at(TIMES_SQUARE), "device_id": device}
        headers = {**me, "Idempotency-Key": key}
        _, first = await api.call("POST", "/v1/scans", 201, headers=headers, json=scan)
        _, replay = await api.call("POST", "/v1/scans", 200, headers=headers, json=scan)
        assert replay == first
        # A key differing in one wildcard character is another key.
        other = {**me, "Idempotency-Key": key.replace("%", "x")}
        status, body = await api.call("POST", "/v1/scans", headers=other, json=scan)
        assert_problem(status, body, 409, "already_found")
        rows = await db.fetch(
            "SELECT device_id FROM scan_attempts WHERE hunter_id = $1 ORDER BY id", hunter_id
        )
        assert [r["device_id"] for r in rows] == [device, device]


# --- malformed queries, path values and methods --------------------------------------------------


async def test_malformed_queries_are_invalid_request(api: Api, world: Fixtures) -> None:
    slug = world.hunt.slug
    clue = world.clues["billboard"]["id"]
    wrong: list[str] = []
    for path in (
        f"/v1/hunts/{slug}/clues?near=91,0",
        f"/v1/hunts/{slug}/clues?near=0,181",
        f"/v1/hunts/{slug}/clues?near=nan,nan",
        f"/v1/hunts/{slug}/clues?near=inf,0",
        f"/v1/hunts/{slug}/clues?near=1e999,0",
        f"/v1/hunts/{slug}/clues?near=40.7",
        f"/v1/hunts/{slug}/clues?near=%00",
        f"/v1/hunts/{slug}/clues?near=1,1&radius_m=-1",
        f"/v1/hunts/{slug}/clues?near=1,1&radius_m=NaN",
        f"/v1/hunts/{slug}/clues?limit=0",
        f"/v1/hunts/{slug}/clues?limit=abc",
        f"/v1/hunts/{slug}/clues?limit=1e3",
        f"/v1/hunts/{slug}/clues?limit=" + "9" * 5000,
        f"/v1/hunts/{slug}/clues?offset=-1",
        f"/v1/clues/{clue}/qr.png?scale=0",
        f"/v1/clues/{clue}/qr.svg?scale=41",
        f"/v1/clues/{clue}/qr.svg?scale=%FF",
    ):
        status, media, _, body = await call_raw(api, "GET", path, headers=api.organiser)
        if (status, media) != (400, PROBLEM) or problem_code(body) != "invalid_request":
            wrong.append(f"{path[:80]}: {status} {body}")
    assert not wrong, "\n".join(wrong)


async def test_bad_path_values_are_not_found(api: Api, world: Fixtures) -> None:
    """Whatever the path holds, the answer is a 404 problem, never a database error."""
    wrong: list[str] = []
    for path in (
        "/v1/hunts/%00",
        "/v1/hunts/a%00b",
        "/v1/hunts/x'%20OR%201=1--",
        "/v1/hunts/%F0%9F%97%BA",
        "/v1/hunts/" + "a" * 300,
        "/v1/tokens/%C2%B2",
        "/v1/tokens/%D9%A1",
        "/v1/tokens/99999999999999999999",
        "/v1/tokens/" + "9" * 5000,
        "/v1/tokens/-1",
        "/v1/tokens/0",
        "/c/%00",
        "/nowhere",
    ):
        status, media, _, body = await call_raw(api, "GET", path)
        if (status, media) != (404, PROBLEM) or problem_code(body) != "not_found":
            wrong.append(f"{path[:80]}: {status} {body}")
    # A code's page is the fan app's: anything that is not a code gets the app's HTML 404 page.
    for path in ("/c/" + "a" * 600, "/c/" + "a" * 5000, "/c/%F0%9F%97%BA"):
        status, media, _, body = await call_raw(api, "GET", path)
        if (status, media) != (404, "text/html"):
            wrong.append(f"{path[:80]}: {status} {media}")
    for path in ("/v1/clues/%C2%B2/history", "/v1/clues/1.5/history", "/v1/clues/0/history"):
        status, media, _, body = await call_raw(api, "GET", path, headers=api.organiser)
        if (status, media) != (404, PROBLEM) or problem_code(body) != "not_found":
            wrong.append(f"{path}: {status} {body}")
    assert not wrong, "\n".join(wrong)


async def test_unknown_method_is_a_problem_with_allow(api: Api) -> None:
    status, media, headers, body = await call_raw(api, "DELETE", "/v1/hunts")
    assert media == PROBLEM
    assert_problem(status, body, 405, "method_not_allowed")
    assert "POST" in headers.get("Allow", ""), headers
