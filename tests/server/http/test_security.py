"""The HTTP edge under attack: forged tokens, the role table enforced on every route, forged
codes, hostile text stored verbatim, and malformed or oversize bodies refused with a problem.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import pytest

from hunt_engine.codes import static_code
from hunt_engine.keys import PURPOSE_QR, Keyring, derive_key
from server.app import create_app
from server.http.auth import ALGORITHM, ISSUER, Role, TokenIssuer
from server.http.routing import Route
from server.route_table import ROUTES
from tests.support.api import Api, bearer, unique
from tests.support.builders import TIMES_SQUARE, Hunt, at, iso, make_hunt

PROBLEM = "application/problem+json"

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


def assert_problem(status: int, body: Any, expect: int, code: str) -> None:
    assert status == expect, (status, body)
    assert isinstance(body, dict) and body.get("code") == code, body
    assert body["status"] == expect and body["title"] and body["type"], body


async def call_raw(
    api: Api, method: str, path: str, **kwargs: Any
) -> tuple[int, str, dict[str, str], Any]:
    response = await api.client.request(method, path, **kwargs)
    raw = await response.read()
    body: Any = raw
    if response.content_type in ("application/json", PROBLEM):
        body = json.loads(raw)
    return response.status, response.content_type, dict(response.headers), body


# --- tokens -------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(role: str = "organiser", **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "sub": "mallory", "role": role}
    claims.update({"iat": now, "exp": now + 3600})
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(
    api: Api, claims: dict[str, Any], key: bytes | None = None, alg: str = ALGORITHM
) -> str:
    return jwt.encode(claims, key or api.settings.jwt_key, algorithm=alg)


def bad_tokens(api: Api) -> dict[str, str]:
    key = api.settings.jwt_key
    good = _signed(api, _claims())
    header, payload, _ = good.split(".")
    return {
        "another key": _signed(api, _claims(), key=b"another key, 32 bytes long......"),
        "the QR key (another purpose)": _signed(
            api, _claims(), key=derive_key(api.settings.secret, PURPOSE_QR)
        ),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
        "alg None with a signature": f"{_b64({'alg': 'None'})}.{_b64(_claims())}.{good[-10:]}",
        "alg HS512 with the right key": _signed(api, _claims(), key=key * 2, alg="HS512"),
        "signature stripped": f"{header}.{payload}.",
        "payload swapped under a valid signature": f"{header}.{_b64(_claims(sub='eve'))}.{_}",
        "expired": _signed(api, _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 60)),
        "no exp": _signed(api, _claims(exp=None)),
        "no role": _signed(api, _claims(role=None)),
        "unknown role": _signed(api, _claims(role="admin")),
        "role in capitals": _signed(api, _claims(role="ORGANISER")),
        "role as a list": _signed(api, _claims(role=["organiser"])),
        "other issuer": _signed(api, _claims(iss="someone-else")),
        "empty sub": _signed(api, _claims(sub="")),
        "NUL in sub": _signed(api, _claims(sub="a\x00b")),
        "lone surrogate in sub": _signed(api, _claims(sub="a\ud800b")),
        "sub too long": _signed(api, _claims(sub="s" * 300)),
        "hunter sub not a number": _signed(api, _claims("hunter", sub="alice")),
        "hunter sub superscript digit": _signed(api, _claims("hunter", sub="²")),
        "hunter sub arabic-indic digits": _signed(api, _claims("hunter", sub="١٢٣")),
        "hunter sub beyond bigint": _signed(api, _claims("hunter", sub="9" * 30)),
        "hunter sub zero": _signed(api, _claims("hunter", sub="0")),
        "hunter sub negative": _signed(api, _claims("hunter", sub="-1")),
        "hunt claim not text": _signed(api, _claims(hunt=["a", "b"])),
        "hunter limited to a hunt": _signed(api, _claims("hunter", sub="1", hunt="ldr-s3")),
        "garbage": "not.a.token",
        "two parts": f"{header}.{payload}",
        "huge": "a" * 8000,
        "unicode": "jwt-🗝️",
        "key as token": key.hex(),
    }


async def test_forged_malformed_and_expired_tokens_are_unauthorized(api: Api) -> None:
    hunt = await make_hunt(api)
    organiser_route = f"/v1/hunts/{hunt.slug}/alerts"
    # `?token=` is taken only where a browser cannot send a header: the ratings page here.
    query_route = f"/organisers/{hunt.slug}"
    await api.call("GET", organiser_route, 200, headers=api.organiser)
    for name, token in bad_tokens(api).items():
        for how in ("header", "query"):
            route = "/v1/me" if "hunter" in name else organiser_route
            if how == "query":
                route = query_route
            kwargs: dict[str, Any] = (
                {"headers": bearer(token)} if how == "header" else {"params": {"token": token}}
            )
            status, media, _, body = await call_raw(api, "GET", route, **kwargs)
            assert media == PROBLEM, (name, how, media)
            assert_problem(status, body, 401, "unauthorized")
            if name == "expired":
                assert "expired" in body["detail"]


async def test_a_token_accepted_before_is_refused_once_it_expires(api: Api) -> None:
    # The server keeps tokens it has checked (a phone sends the same one with every scan):
    # the expiry must still be checked on every request.
    hunt = await make_hunt(api)
    route = f"/v1/hunts/{hunt.slug}/alerts"
    token, expires = TokenIssuer(api.settings.jwt_key).issue(Role.ORGANISER, "brief", 1)
    await api.call("GET", route, 200, headers=bearer(token))
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    status, body = await api.call("GET", route, headers=bearer(token))
    assert_problem(status, body, 401, "unauthorized")
    assert "expired" in body["detail"]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for _ in range(2):  # a refusal is never kept: each attempt is checked again
        status, body = await api.call("GET", route, headers=bearer(tampered))
        assert_problem(status, body, 401, "unauthorized")


async def test_authorization_schemes(api: Api) -> None:
    hunt = await make_hunt(api)
    path = f"/v1/hunts/{hunt.slug}/alerts"
    token = api.organiser["Authorization"].removeprefix("Bearer ")
    for header in (
        f"Basic {token}",
        f"Token {token}",
        f"JWT {token}",
        f"Bearer{token}",
        token,
        "Bearer",
        "Bearer    ",
        "",
        f"Bearer {token} extra",
    ):
        status, body = await api.call("GET", path, headers={"Authorization": header})
        assert_problem(status, body, 401, "unauthorized")
    # The scheme is case-insensitive (RFC 9110 11.1), and one header beats a query token.
    for header in (f"bearer {token}", f"BEARER {token}", f"Bearer  {token} "):
        await api.call("GET", path, 200, headers={"Authorization": header})
    status, body = await api.call(
        "GET", path, headers={"Authorization": "Basic x"}, params={"token": token}
    )
    assert_problem(status, body, 401, "unauthorized")


# --- the role table, route by route --------------------------------------------------------------


class Fixtures:
    """One hunt with a clue of each kind, to fill any route's path with something that exists."""

    def __init__(self, hunt: Hunt, clues: dict[str, dict[str, Any]]) -> None:
        self.hunt = hunt
        self.clues = clues

    def path(self, spec: Route) -> str:
        clue = self.clues["digital" if "display" in spec.path else "billboard"]
        values = {"slug": self.hunt.slug, "clue_id": str(clue["id"]), "token_id": "1"}

        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), "x")

        return re.sub(r"{(\w+)}", fill, spec.path)


async def _fixtures(api: Api) -> Fixtures:
    hunt = await make_hunt(api)
    clues = {kind: await hunt.clue(kind) for kind in ("billboard", "digital")}
    return Fixtures(hunt, clues)


async def _tokens(api: Api, hunt: str | None = None) -> dict[Role, dict[str, str]]:
    hunter_id, _ = await api.hunter()
    subs = {Role.ORGANISER: "org-sec", Role.FIELD: "field-sec", Role.SCREEN: "screen-sec"}
    return {role: api.auth(role, subs.get(role, str(hunter_id)), hunt) for role in Role}


def _code(answer: Any) -> Any:
    return answer.get("code") if isinstance(answer, dict) else None


def protected_routes() -> list[Route]:
    found = [spec for spec in ROUTES if spec.roles]
    assert len(found) >= 15, [f"{r.method} {r.path}" for r in found]
    return found


async def test_every_protected_route_refuses_other_roles_and_anonymous(api: Api) -> None:
    world = await _fixtures(api)
    tokens = await _tokens(api)
    wrong: list[str] = []
    for spec in protected_routes():
        path = world.path(spec)
        body = {} if spec.method in ("POST", "PATCH", "PUT") else None
        status, media, _, answer = await call_raw(api, spec.method, path, json=body)
        if (status, media, _code(answer)) != (401, PROBLEM, "unauthorized"):
            wrong.append(f"{spec.method} {spec.path} anonymous: {status} {answer}")
        for role in Role:
            status, media, _, answer = await call_raw(
                api, spec.method, path, headers=tokens[role], json=body
            )
            refused = isinstance(answer, dict) and "may not do this" in str(answer.get("detail"))
            if role in spec.roles:
                if status == 401 or refused:
                    wrong.append(f"{spec.method} {spec.path} as {role}: {status} {answer}")
            elif (status, media, _code(answer)) != (403, PROBLEM, "forbidden"):
                wrong.append(f"{spec.method} {spec.path} as {role}: {status} {answer}")
            # In the query string, a wrong-role token is refused the same way where the route
            # takes `?token=` (streams, pages); elsewhere any token there is refused as such.
            token = tokens[role]["Authorization"].removeprefix("Bearer ")
            status, _, _, answer = await call_raw(
                api, spec.method, path, params={"token": token}, json=body
            )
            if spec.query_token:
                if role not in spec.roles and status != 403:
                    wrong.append(f"{spec.method} {spec.path} ?token= {role}: {status}")
            elif (status, _code(answer)) != (401, "unauthorized") or "Authorization" not in str(
                answer.get("detail")
            ):
                wrong.append(f"{spec.method} {spec.path} ?token= {role}: {status} {answer}")
    assert not wrong, "\n".join(wrong)


# Bodies that pass validation, so the hunt check in the handler is what answers.
VALID_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/hunts/{slug}/collectibles"): {
        "key": "k",
        "name": "K",
        "image_url": "https://img.example/k.png",
    },
    ("POST", "/v1/hunts/{slug}/clues"): {"kind": "social", "collectible": "k", "label": "x"},
    ("POST", "/v1/hunts/{slug}/clues/import"): {"type": "FeatureCollection", "features": []},
    ("POST", "/v1/auth/tokens"): {"role": "screen", "sub": "s"},
}


async def test_hunt_limited_tokens_reach_no_other_hunt(api: Api) -> None:
    world = await _fixtures(api)
    other = await make_hunt(api)
    wrong: list[str] = []
    limited = await _tokens(api, hunt=other.slug)
    for spec in protected_routes():
        if "{slug}" not in spec.path and "{clue_id}" not in spec.path:
            continue
        body = VALID_BODIES.get((spec.method, spec.path), {})
        for role in spec.roles:
            status, _, _, answer = await call_raw(
                api,
                spec.method,
                world.path(spec),
                headers=limited[role],
                json=body if spec.method in ("POST", "PATCH", "PUT") else None,
            )
            # Hunter tokens are never hunt-limited: one that claims a hunt is not a token.
            expected = (401, "unauthorized") if role is Role.HUNTER else (403, "forbidden")
            if (status, _code(answer)) != expected:
                wrong.append(f"{spec.method} {spec.path} as {role}: {status} {answer}")
    assert not wrong, "\n".join(wrong)


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


# --- malformed and oversize bodies ----------------------------------------------------------------


@pytest.fixture
async def world(api: Api) -> Fixtures:
    return await _fixtures(api)


def _hunt_body(**changes: Any) -> bytes:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "slug": unique("bad"),
        "name": "n",
        "starts_at": iso(now),
        "ends_at": iso(now + timedelta(hours=1)),
    }
    body.update(changes)
    return json.dumps(body).encode()


def _with_literal(body: bytes, marker: str, literal: str) -> bytes:
    return body.replace(f'"{marker}"'.encode(), literal.encode())


def malformed(world: Fixtures) -> list[tuple[str, str, str, bytes]]:
    slug = world.hunt.slug
    clue = world.clues["billboard"]["id"]
    collectible = world.clues["billboard"]["collectible"]
    clue_path = f"/v1/hunts/{slug}/clues"

    def new_clue(**changes: Any) -> bytes:
        body = {"kind": "billboard", "collectible": collectible, "label": "x"}
        body["location"] = {"lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1]}
        return json.dumps({**body, **changes}).encode()

    def scan(**changes: Any) -> bytes:
        return json.dumps({"code": "x", **at(TIMES_SQUARE), **changes}).encode()

    cases: list[tuple[str, str, str, bytes]] = []
    for name, raw in {
        "truncated JSON": b'{"slug": ',
        "empty body": b"",
        "JSON null": b"null",
        "an array": b"[]",
        "a string": b'"hunt"',
        "trailing garbage": _hunt_body() + b" x",
        "two documents": _hunt_body() + _hunt_body(),
        "invalid UTF-8": b'{"slug": "\xff\xfe"}',
        "lone surrogate escape": _hunt_body(name="\\ud800").replace(b"\\\\ud800", b"\\ud800"),
        "single quotes": b"{'slug': 'a'}",
        "comments": b'{"slug": "a" /* x */}',
        "deep nesting": b"[" * 100_000,
        "NaN literal": _with_literal(_hunt_body(rules={"max_accuracy_m": "@"}), "@", "NaN"),
        "Infinity literal": _with_literal(
            _hunt_body(rules={"max_speed_kmh": "@"}), "@", "Infinity"
        ),
        "-Infinity literal": _with_literal(
            _hunt_body(rules={"travel_floor_m": "@"}), "@", "-Infinity"
        ),
        "overflowing number": _with_literal(_hunt_body(rules={"rotate_s": "@"}), "@", "1e999"),
        "wrong type: name": _hunt_body(name=5),
        "wrong type: slug": _hunt_body(slug=["a"]),
        "wrong type: number as string": _hunt_body(rules={"rotate_s": "30"}),
        "wrong type: bool as number": _hunt_body(rules={"rotate_s": True}),
        "unknown field": _hunt_body(admin=True),
        "unknown rule": _hunt_body(rules={"godmode": 1}),
        "naive time": _hunt_body(starts_at="2030-01-01T00:00:00"),
        "not a time": _hunt_body(starts_at="tomorrow"),
        "time overflowing UTC": _hunt_body(starts_at="0001-01-01T00:00:00+14:00"),
        "time past year 9999 in UTC": _hunt_body(ends_at="9999-12-31T23:59:59-14:00"),
        "NUL in text": _hunt_body(name="a\x00b"),
        "SQL in the slug": _hunt_body(slug="x'; DROP TABLE hunts;--"),
        "name too long": _hunt_body(name="n" * 201),
    }.items():
        cases.append((f"hunt: {name}", "POST", "/v1/hunts", raw))
    for name, raw in {
        "unknown kind": new_clue(kind="hologram"),
        "kind in capitals": new_clue(kind="BILLBOARD"),
        "lat above 90": new_clue(location={"lat": 90.000001, "lon": 0}),
        "lat below -90": new_clue(location={"lat": -91, "lon": 0}),
        "lon above 180": new_clue(location={"lat": 0, "lon": 180.5}),
        "lon below -180": new_clue(location={"lat": 0, "lon": -1000}),
        "lat as string": new_clue(location={"lat": "40.7", "lon": 0}),
        "lat as bool": new_clue(location={"lat": True, "lon": 0}),
        "huge integer lat": new_clue(location={"lat": 10**400, "lon": 0}),
        "NaN lat": _with_literal(new_clue(location={"lat": "@", "lon": 0}), "@", "NaN"),
        "NaN in a geofence": _with_literal(new_clue(geofence={"radius_m": "@"}), "@", "NaN"),
        "Infinity in a polygon": _with_literal(
            new_clue(geofence={"type": "Polygon", "coordinates": [[["@", 1]]]}), "@", "Infinity"
        ),
        "1e999 in a polygon": _with_literal(
            new_clue(geofence={"type": "Polygon", "coordinates": [[["@", 1]]]}), "@", "1e999"
        ),
        "negative max_finds": new_clue(max_finds=-1),
        "fractional max_finds": new_clue(max_finds=1.5),
        "label null": new_clue(label=None),
    }.items():
        cases.append((f"clue: {name}", "POST", clue_path, raw))
    for name, raw in {
        "lat out of range": json.dumps({"location": {"lat": 95, "lon": 0}}).encode(),
        "active as string": b'{"active": "yes"}',
        "label null": b'{"label": null}',
        "location null": b'{"location": null}',
        "unknown field": b'{"kind": "social"}',
    }.items():
        cases.append((f"clue patch: {name}", "PATCH", f"/v1/clues/{clue}", raw))
    for name, raw in {
        "lat above 90": scan(lat=90.5),
        "lon below -180": scan(lon=-180.5),
        "NaN lat": _with_literal(scan(lat="@"), "@", "NaN"),
        "Infinity accuracy": _with_literal(scan(accuracy_m="@"), "@", "Infinity"),
        "negative accuracy": scan(accuracy_m=-1),
        "code as number": scan(code=5),
        "code too long": scan(code="x" * 513),
        "scanned_at not a time": scan(scanned_at="now"),
        "NUL in device_id": scan(device_id="\x00"),
        "truncated": b'{"code": "x", "lat": 4',
    }.items():
        cases.append((f"scan: {name}", "POST", "/v1/scans", raw))
    for name, raw in {
        "unknown role": b'{"role": "admin", "sub": "x"}',
        "ttl overflow": b'{"role": "screen", "sub": "x", "ttl_s": 1e999}',
        "sub with SQL": b'{"role": "screen", "sub": "x\'; --"}',
    }.items():
        cases.append((f"token: {name}", "POST", "/v1/auth/tokens", raw))
    cases.append(
        (
            "patch hunt: rotate_s too small",
            "PATCH",
            f"/v1/hunts/{slug}",
            b'{"rules": {"rotate_s": 1}}',
        )
    )
    cases.append(
        (
            "collectible: bad url",
            "POST",
            f"/v1/hunts/{slug}/collectibles",
            b'{"key": "k2", "name": "n", "image_url": "javascript:alert(1)"}',
        )
    )
    return cases


async def test_malformed_bodies_are_invalid_request(api: Api, world: Fixtures) -> None:
    _, hunter = await api.hunter()
    wrong: list[str] = []
    for name, method, path, raw in malformed(world):
        headers = hunter if path == "/v1/scans" else api.organiser
        headers = {**headers, "Content-Type": "application/json"}
        status, media, _, body = await call_raw(api, method, path, headers=headers, data=raw)
        if (status, media) != (400, PROBLEM) or _code(body) != "invalid_request":
            wrong.append(f"{name}: {status} {media} {body}")
    assert not wrong, "\n".join(wrong)


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
        if (status, media) != (400, PROBLEM) or _code(body) != "invalid_request":
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
        if (status, media) != (404, PROBLEM) or _code(body) != "not_found":
            wrong.append(f"{path[:80]}: {status} {body}")
    # A code's page is the fan app's: anything that is not a code gets the app's HTML 404 page.
    for path in ("/c/" + "a" * 600, "/c/" + "a" * 5000, "/c/%F0%9F%97%BA"):
        status, media, _, body = await call_raw(api, "GET", path)
        if (status, media) != (404, "text/html"):
            wrong.append(f"{path[:80]}: {status} {media}")
    for path in ("/v1/clues/%C2%B2/history", "/v1/clues/1.5/history", "/v1/clues/0/history"):
        status, media, _, body = await call_raw(api, "GET", path, headers=api.organiser)
        if (status, media) != (404, PROBLEM) or _code(body) != "not_found":
            wrong.append(f"{path}: {status} {body}")
    assert not wrong, "\n".join(wrong)


async def test_unknown_method_is_a_problem_with_allow(api: Api) -> None:
    status, media, headers, body = await call_raw(api, "DELETE", "/v1/hunts")
    assert media == PROBLEM
    assert_problem(status, body, 405, "method_not_allowed")
    assert "POST" in headers.get("Allow", ""), headers


async def _chunks(total: int, size: int = 65536) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


async def test_oversize_bodies_are_payload_too_large(api: Api, world: Fixtures) -> None:
    limit = api.settings.max_body_bytes
    _, hunter = await api.hunter()
    padded = _hunt_body(description="d" * 4000)
    for method, path, headers in (
        ("POST", "/v1/hunts", api.organiser),
        ("PATCH", f"/v1/hunts/{world.hunt.slug}", api.organiser),
        ("POST", "/v1/scans", hunter),
        ("POST", "/v1/auth/hunters", {}),
    ):
        # With a Content-Length, and streamed without one (chunked).
        for data in (padded + b" " * (limit + 1 - len(padded)), _chunks(limit + 1)):
            status, media, _, body = await call_raw(
                api,
                method,
                path,
                headers={**headers, "Content-Type": "application/json"},
                data=data,
            )
            assert media == PROBLEM, (path, status, body)
            assert_problem(status, body, 413, "payload_too_large")
    # Exactly at the limit is read and judged on its content.
    at_limit = padded + b" " * (limit - len(padded))
    status, body = await api.call("POST", "/v1/hunts", headers=api.organiser, data=at_limit)
    assert status == 201, body


async def test_bodies_arriving_in_pieces_are_read_whole(api: Api, world: Fixtures) -> None:
    """Under the limit, a body is read to its end however it arrives (once, only its first
    TCP segments were read, and a valid large body was refused as truncated JSON)."""
    padding = b" " * 600_000
    body = _hunt_body(description="d" * 5000) + padding

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]
            await asyncio.sleep(0)

    headers = {**api.organiser, "Content-Type": "application/json"}
    status, answer = await api.call("POST", "/v1/hunts", headers=headers, data=pieces())
    assert status == 201, answer
    status, answer = await api.call(
        "POST", "/v1/hunts", headers=headers, data=_hunt_body(description="e" * 5000) + padding
    )
    assert status == 201, answer
    collectible = world.clues["billboard"]["collectible"]
    features = [
        {
            "type": "Feature",
            "properties": {"kind": "social", "collectible": collectible, "label": f"drop {i}"},
            "geometry": None,
        }
        for i in range(1500)
    ]
    _, answer = await api.call(
        "POST",
        f"/v1/hunts/{world.hunt.slug}/clues/import",
        200,
        headers=api.organiser,
        json={"type": "FeatureCollection", "features": features},
    )
    assert answer == {"created": 1500, "updated": 0, "unchanged": 0, "failed": []}


async def test_compressed_bodies(api: Api) -> None:
    """aiohttp inflates `Content-Encoding: gzip` bodies: a good one is read, a broken one is a
    400 problem (it was a 500), and a small bomb stops at the limit. The client goes on using
    its pooled connections: an answer given before the body was read says `Connection: close`.
    """
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    handle = unique("gz")[:20]
    good = gzip.compress(json.dumps({"handle": handle}).encode())
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=good)
    assert status == 201, body
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=b"not gzip")
    assert_problem(status, body, 400, "invalid_request")
    bomb = gzip.compress(b" " * (50 * api.settings.max_body_bytes))
    assert len(bomb) < api.settings.max_body_bytes // 10
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=bomb)
    assert_problem(status, body, 413, "payload_too_large")


async def test_broken_http_framing_is_never_a_server_error(api: Api) -> None:
    """Refused by aiohttp's parser before the app runs: a 400, though in aiohttp's text/plain
    and not as a problem (the app never sees these requests)."""
    port = api.client.server.port
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 20_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n",
        b"POST /v1/auth/hunters HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        b"POST /v1/auth/hunters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /v1/hunts/" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        await writer.wait_closed()
        assert status_line.split()[1:2] == [b"400"], (raw[:60], status_line)


async def test_import_over_its_limit_is_payload_too_large(
    aiohttp_client: Any, settings_factory: Any
) -> None:
    small = settings_factory(import_max_bytes=4096)
    api = Api(await aiohttp_client(create_app(small)), small)
    hunt = await make_hunt(api)
    features = [{"type": "Feature", "properties": {"label": "x" * 100}, "geometry": None}] * 50
    status, body = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        headers=api.organiser,
        json={"type": "FeatureCollection", "features": features},
    )
    assert_problem(status, body, 413, "payload_too_large")


async def test_import_refuses_what_is_not_json(api: Api, world: Fixtures) -> None:
    """The import reads its own (larger) body: it must refuse the same non-JSON as the rest
    (it once took `NaN`/`Infinity` literals through `json.loads`, and a deep nesting was a
    RecursionError, a 500)."""
    path = f"/v1/hunts/{world.hunt.slug}/clues/import"
    collectible = world.clues["billboard"]["collectible"]
    feature = {
        "type": "Feature",
        "properties": {"kind": "billboard", "collectible": collectible, "label": "x"},
        "geometry": {"type": "Point", "coordinates": ["@", 40.7]},
    }
    nan = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace('"@"', "NaN")
    wrong: list[str] = []
    for name, raw in {
        "deep nesting": b"[" * 100_000,
        "deep nesting in a feature": b'{"type": "FeatureCollection", "features": [' + b"[" * 50_000,
        "NaN literal": nan.encode(),
        "Infinity literal": nan.replace("NaN", "Infinity").encode(),
        "invalid UTF-8": b'{"type": "FeatureCollection", "features": [], "x": "\xff"}',
    }.items():
        status, media, _, body = await call_raw(
            api,
            "POST",
            path,
            headers={**api.organiser, "Content-Type": "application/json"},
            data=raw,
        )
        if (status, media) != (400, PROBLEM) or _code(body) != "invalid_request":
            wrong.append(f"{name}: {status} {body}")
    assert not wrong, "\n".join(wrong)
