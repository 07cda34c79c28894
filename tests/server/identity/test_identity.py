"""Identity on the real services: tokens, walletless hunters, /v1/me and Sign-In with Ethereum."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
from eth_account import Account

from server.http.auth import Role
from tests.support.api import Api, bearer, unique
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.identity import nonce, sign, siwe, siwe_message

# --- walletless hunters and /v1/me -------------------------------------------------------------


async def test_join_as_hunter_and_me(api: Api) -> None:
    handle = "Hunter." + unique("")[-10:]
    _, body = await api.call("POST", "/v1/auth/hunters", 201, json={"handle": handle})
    assert isinstance(body["hunter_id"], int) and body["hunter_id"] > 0
    _, me = await api.call("GET", "/v1/me", 200, headers=bearer(body["token"]))
    assert me == {
        "hunter_id": body["hunter_id"],
        "handle": handle,
        "wallet": None,
        "score": 0,
        "finds": 0,
    }
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["role"] == "hunter" and claims["sub"] == str(body["hunter_id"])


async def test_handle_rules(api: Api) -> None:
    tail = unique("")[-8:]
    for good in (f"a_{tail}"[:3], f"A.b-c_9{tail}", ("x" * 24 + tail)[:32]):
        await api.call("POST", "/v1/auth/hunters", 201, json={"handle": good})
    for bad in (
        "ab",
        "x" * 33,
        "has space",
        "émile" + tail,
        "semi;colon",
        "",
        "tab\tx",
        "new\nline",
    ):
        _, body = await api.call("POST", "/v1/auth/hunters", 400, json={"handle": bad})
        assert body["code"] == "invalid_request", bad
    for bad_body in ({"handle": 12345}, {"handle": None}, {}, {"handle": "okok", "x": 1}, []):
        _, body = await api.call("POST", "/v1/auth/hunters", 400, json=bad_body)
        assert body["code"] == "invalid_request"


async def test_handle_taken_case_insensitively(api: Api) -> None:
    handle = "Case" + unique("")[-10:]
    await api.call("POST", "/v1/auth/hunters", 201, json={"handle": handle})
    for again in (handle, handle.upper(), handle.lower()):
        _, body = await api.call("POST", "/v1/auth/hunters", 409, json={"handle": again})
        assert body["code"] == "handle_taken"
        assert body["status"] == 409


async def test_me_requires_a_hunter(api: Api) -> None:
    _, body = await api.call("GET", "/v1/me", 401)
    assert body["code"] == "unauthorized"
    _, body = await api.call("GET", "/v1/me", 403, headers=api.organiser)
    assert body["code"] == "forbidden"
    _, body = await api.call("GET", "/v1/me", 401, headers={"Authorization": "Bearer nonsense"})
    assert body["code"] == "unauthorized"
    # A token for a hunter id that does not exist.
    _, body = await api.call("GET", "/v1/me", 401, headers=api.auth(Role.HUNTER, "999999999999"))
    assert body["code"] == "unauthorized"


async def test_me_counts_finds_and_score(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )
    _, body = await api.call("GET", "/v1/me", 200, headers=me)
    assert body["hunter_id"] == hunter_id and body["score"] == 1 and body["finds"] == 1


# --- tokens ------------------------------------------------------------------------------------


async def test_organiser_mints_tokens_within_ttl_bounds(api: Api) -> None:
    before = time.time()
    _, body = await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=api.organiser,
        json={"role": "field", "sub": "crew-1", "ttl_s": 600},
    )
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp()
    assert before + 600 - 2 <= expires <= time.time() + 600 + 2
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["role"] == "field" and claims["sub"] == "crew-1" and "hunt" not in claims
    # The minted token works: a field crew may list a hunt's clues.
    hunt = await make_hunt(api)
    await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=bearer(body["token"]))
    # Default TTL is a day.
    _, body = await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=api.organiser,
        json={"role": "screen", "sub": "screen-1"},
    )
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 24 * 3600
    for ttl in (60, 30 * 24 * 3600):
        await api.call(
            "POST",
            "/v1/auth/tokens",
            201,
            headers=api.organiser,
            json={"role": "screen", "sub": "s", "ttl_s": ttl},
        )
    for ttl in (59, 0, -5, 30 * 24 * 3600 + 1, 1.5, "600", True):
        _, body = await api.call(
            "POST",
            "/v1/auth/tokens",
            400,
            headers=api.organiser,
            json={"role": "screen", "sub": "s", "ttl_s": ttl},
        )
        assert body["code"] == "invalid_request", ttl
    for bad in (
        {"role": "admin", "sub": "x"},
        {"role": "field"},
        {"role": "field", "sub": ""},
        {"role": "field", "sub": "has space"},
        {"role": "field", "sub": "x", "hunt": "UP"},
    ):
        _, body = await api.call("POST", "/v1/auth/tokens", 400, headers=api.organiser, json=bad)
        assert body["code"] == "invalid_request", bad


async def test_only_organisers_mint_tokens(api: Api) -> None:
    body = {"role": "organiser", "sub": "sneaky"}
    _, answer = await api.call("POST", "/v1/auth/tokens", 401, json=body)
    assert answer["code"] == "unauthorized"
    for role, sub in ((Role.FIELD, "f"), (Role.SCREEN, "s"), (Role.HUNTER, "1")):
        _, answer = await api.call(
            "POST", "/v1/auth/tokens", 403, headers=api.auth(role, sub), json=body
        )
        assert answer["code"] == "forbidden"
    expired, _ = api.issuer.issue(Role.ORGANISER, "old", -10)
    _, answer = await api.call("POST", "/v1/auth/tokens", 401, headers=bearer(expired), json=body)
    assert answer["code"] == "unauthorized"


async def test_no_role_may_issue_hunter_tokens(api: Api) -> None:
    """A hunter token acts as that fan in every hunt: the HTTP route never issues one, whoever
    asks, scoped or not (it once let a one-hunt organiser impersonate any fan)."""
    hunter_id, _ = await api.hunter()
    hunt = await make_hunt(api)
    scoped = api.auth(Role.ORGANISER, "venue-boss", hunt=hunt.slug)
    for headers, body in (
        (api.organiser, {"role": "hunter", "sub": str(hunter_id)}),
        (scoped, {"role": "hunter", "sub": str(hunter_id), "hunt": hunt.slug}),
        (scoped, {"role": "hunter", "sub": str(hunter_id)}),
        (api.organiser, {"role": "hunter", "sub": "alice"}),
    ):
        _, answer = await api.call("POST", "/v1/auth/tokens", 403, headers=headers, json=body)
        assert answer["code"] == "forbidden", body
        assert "sign-in" in answer["detail"]


async def test_hunt_scoped_tokens_reach_only_their_hunt(api: Api) -> None:
    mine = await make_hunt(api)
    other = await make_hunt(api)
    key_mine = await mine.collectible()
    key_other = await other.collectible()
    _, body = await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=api.organiser,
        json={"role": "field", "sub": "crew-scoped", "hunt": mine.slug},
    )
    crew = bearer(body["token"])
    clue = {"kind": "billboard", "label": "Scoped", "location": {"lat": 40.7, "lon": -73.9}}
    await api.call(
        "POST",
        f"/v1/hunts/{mine.slug}/clues",
        201,
        headers=crew,
        json={**clue, "collectible": key_mine},
    )
    await api.call("GET", f"/v1/hunts/{mine.slug}/clues", 200, headers=crew)
    _, answer = await api.call(
        "POST",
        f"/v1/hunts/{other.slug}/clues",
        403,
        headers=crew,
        json={**clue, "collectible": key_other},
    )
    assert answer["code"] == "forbidden"
    _, answer = await api.call("GET", f"/v1/hunts/{other.slug}/clues", 403, headers=crew)
    assert answer["code"] == "forbidden"
    # A clue of the other hunt, created by an unscoped organiser, is out of reach too.
    other_clue = await other.clue(collectible=key_other)
    for path in ("", "/history", "/qr.png", "/qr.svg"):
        method = "PATCH" if path == "" else "GET"
        kwargs: dict[str, Any] = {"json": {"label": "x"}} if method == "PATCH" else {}
        _, answer = await api.call(
            method, f"/v1/clues/{other_clue['id']}{path}", 403, headers=crew, **kwargs
        )
        assert answer["code"] == "forbidden", path
    # A hunt-scoped screen may show its own hunt's digital clues only.
    _, body = await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=api.organiser,
        json={"role": "screen", "sub": "venue", "hunt": mine.slug},
    )
    screen = bearer(body["token"])
    own_digital = await mine.clue(kind="digital", collectible=key_mine)
    other_digital = await other.clue(kind="digital", collectible=key_other)
    await api.call("GET", f"/v1/clues/{own_digital['id']}/display", 200, headers=screen)
    _, answer = await api.call(
        "GET", f"/v1/clues/{other_digital['id']}/display", 403, headers=screen
    )
    assert answer["code"] == "forbidden"


async def test_hunt_scoped_organiser_cannot_mint_wider_tokens(api: Api) -> None:
    hunt = await make_hunt(api)
    scoped = api.auth(Role.ORGANISER, "venue-boss", hunt=hunt.slug)
    await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=scoped,
        json={"role": "field", "sub": "crew", "hunt": hunt.slug},
    )
    for body in (
        {"role": "organiser", "sub": "escalated"},
        {"role": "field", "sub": "crew", "hunt": unique("hunt")},
    ):
        _, answer = await api.call("POST", "/v1/auth/tokens", 403, headers=scoped, json=body)
        assert answer["code"] == "forbidden"


# --- Sign-In with Ethereum ---------------------------------------------------------------------


async def test_siwe_creates_a_hunter_with_the_wallet(api: Api, db: asyncpg.Connection) -> None:
    account = Account.create()
    body = await siwe(api, account, 200)
    assert body["wallet"] == account.address.lower()
    _, me = await api.call("GET", "/v1/me", 200, headers=bearer(body["token"]))
    assert me["hunter_id"] == body["hunter_id"] and me["wallet"] == account.address.lower()
    assert me["handle"] is None
    stored = await db.fetchval("SELECT wallet FROM hunters WHERE id = $1", body["hunter_id"])
    assert stored == account.address.lower()
    # Signing in again with the same wallet is the same hunter.
    again = await siwe(api, account, 200)
    assert again["hunter_id"] == body["hunter_id"] and again["wallet"] == body["wallet"]


async def test_siwe_nonce_is_single_use(api: Api) -> None:
    account = Account.create()
    message = siwe_message(api, account.address, await nonce(api))
    payload = {"message": message, "signature": sign(message, account.key)}
    await api.call("POST", "/v1/auth/siwe", 200, json=payload)
    _, body = await api.call("POST", "/v1/auth/siwe", 401, json=payload)
    assert body["code"] == "nonce_reused"
    # A nonce the server never issued.
    body = await siwe(api, Account.create(), 401, nonce="neverIssued123")
    assert body["code"] == "nonce_reused"


async def test_siwe_replayed_concurrently_succeeds_once(api: Api) -> None:
    account = Account.create()
    message = siwe_message(api, account.address, await nonce(api))
    payload = {"message": message, "signature": sign(message, account.key)}
    answers = await asyncio.gather(
        *(api.call("POST", "/v1/auth/siwe", json=payload) for _ in range(5))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 401, 401, 401, 401]
    assert all(body["code"] == "nonce_reused" for status, body in answers if status == 401)


async def test_siwe_same_wallet_concurrently_is_one_hunter(api: Api) -> None:
    account = Account.create()
    nonces = [await nonce(api) for _ in range(4)]
    messages = [siwe_message(api, account.address, n) for n in nonces]
    answers = await asyncio.gather(
        *(
            api.call(
                "POST", "/v1/auth/siwe", json={"message": m, "signature": sign(m, account.key)}
            )
            for m in messages
        )
    )
    assert [status for status, _ in answers] == [200] * 4, answers
    assert len({body["hunter_id"] for _, body in answers}) == 1


async def test_siwe_expired_and_not_yet_valid(api: Api) -> None:
    body = await siwe(api, Account.create(), 401, expires_in=timedelta(seconds=-5))
    assert body["code"] == "message_expired"
    body = await siwe(
        api, Account.create(), 401, not_before=datetime.now(UTC) + timedelta(minutes=5)
    )
    assert body["code"] == "message_expired"
    # No expiry at all is fine.
    await siwe(api, Account.create(), 200, expires_in=None)


async def test_siwe_wrong_domain(api: Api) -> None:
    for domain in ("evil.example", "geohunt.test.evil.example", "geohunt.test:8443"):
        body = await siwe(api, Account.create(), 422, domain=domain)
        assert body["code"] == "wrong_domain", domain


async def test_siwe_bad_signature(api: Api) -> None:
    account, impostor = Account.create(), Account.create()
    message = siwe_message(api, account.address, await nonce(api))
    _, body = await api.call(
        "POST",
        "/v1/auth/siwe",
        401,
        json={"message": message, "signature": sign(message, impostor.key)},
    )
    assert body["code"] == "bad_signature"
    # Signed, then the message changed.
    tampered = message.replace("Sign in to geohunt.", "Sign in to geohunt!")
    _, body = await api.call(
        "POST",
        "/v1/auth/siwe",
        401,
        json={"message": tampered, "signature": sign(message, account.key)},
    )
    assert body["code"] == "bad_signature"
    # Well-formed hex, but not a signature at all.
    _, body = await api.call(
        "POST", "/v1/auth/siwe", 401, json={"message": message, "signature": "0x" + "00" * 65}
    )
    assert body["code"] == "bad_signature"
    # The nonce survived those failures: the genuine signature still signs in.
    await api.call(
        "POST",
        "/v1/auth/siwe",
        200,
        json={"message": message, "signature": sign(message, account.key)},
    )


async def test_siwe_malformed_requests(api: Api) -> None:
    account = Account.create()
    message = siwe_message(api, account.address, await nonce(api))
    for body in (
        {"message": "hello", "signature": sign("hello", account.key)},
        {"message": message, "signature": "0x1234"},
        {"message": message},
        {
            "message": message.replace(account.address, account.address.lower()),
            "signature": sign(message, account.key),
        },
    ):
        _, answer = await api.call("POST", "/v1/auth/siwe", 400, json=body)
        assert answer["code"] == "invalid_request"


async def test_siwe_links_a_walletless_hunter_and_queues_its_finds(api: Api) -> None:
    hunt = await make_hunt(api)
    first = await hunt.clue()
    second = await hunt.clue()
    hunter_id, me = await api.hunter()
    for clue in (first, second):
        await api.call(
            "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
        )
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
    assert [f["mint"]["status"] for f in finds] == ["awaiting_wallet"] * 2
    account = Account.create()
    body = await siwe(api, account, 200, headers=me)
    assert body["hunter_id"] == hunter_id and body["wallet"] == account.address.lower()
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
    assert [f["mint"]["status"] for f in finds] == ["queued"] * 2
    _, profile = await api.call("GET", "/v1/me", 200, headers=bearer(body["token"]))
    assert profile["hunter_id"] == hunter_id and profile["wallet"] == account.address.lower()
    assert profile["handle"] is not None and profile["score"] == 2
    # Later sign-ins with that wallet (no bearer token) land on the same hunter.
    again = await siwe(api, account, 200)
    assert again["hunter_id"] == hunter_id
    # Finds made after the wallet arrived are queued at once.
    third = await hunt.clue()
    _, answer = await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(third), **at(TIMES_SQUARE)}
    )
    assert answer["find"]["mint"] == {"status": "queued"}
    # Linking the same wallet again is harmless.
    repeat = await siwe(api, account, 200, headers=me)
    assert repeat["hunter_id"] == hunter_id


async def test_siwe_wallet_taken_and_second_wallet(api: Api) -> None:
    owner = Account.create()
    owned = await siwe(api, owner, 200)
    hunter_id, me = await api.hunter()
    body = await siwe(api, owner, 409, headers=me)
    assert body["code"] == "wallet_taken"
    _, profile = await api.call("GET", "/v1/me", 200, headers=me)
    assert profile["wallet"] is None
    # The refused attempt did not touch the owner either.
    _, profile = await api.call("GET", "/v1/me", 200, headers=bearer(owned["token"]))
    assert profile["wallet"] == owner.address.lower()
    # A hunter that has a wallet cannot swap it for another.
    mine = Account.create()
    await siwe(api, mine, 200, headers=me)
    body = await siwe(api, Account.create(), 409, headers=me)
    assert body["code"] == "conflict"
    _, profile = await api.call("GET", "/v1/me", 200, headers=me)
    assert profile["hunter_id"] == hunter_id and profile["wallet"] == mine.address.lower()


async def test_siwe_linking_race_gives_the_wallet_to_one_hunter(api: Api) -> None:
    account = Account.create()
    hunters = [await api.hunter() for _ in range(3)]
    messages = [siwe_message(api, account.address, await nonce(api)) for _ in hunters]
    answers = await asyncio.gather(
        *(
            api.call(
                "POST",
                "/v1/auth/siwe",
                headers=headers,
                json={"message": m, "signature": sign(m, account.key)},
            )
            for (_, headers), m in zip(hunters, messages, strict=True)
        )
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 409, 409], answers
    assert all(body["code"] == "wallet_taken" for status, body in answers if status == 409)


async def test_siwe_a_long_message_is_read_and_a_malformed_one_refused(api: Api) -> None:
    """The longest messages allowed: a malformed one is refused as such, and a signed one with
    a long statement signs in (siwe's ABNF parser took seconds over either, blocking the
    server; the regular-expression parser reads them at once)."""
    status, body = await api.call(
        "POST", "/v1/auth/siwe", json={"message": "0" * 4096, "signature": "0x00"}
    )
    assert (status, body["code"]) == (400, "invalid_request"), body
    account = Account.create()
    message = siwe_message(api, account.address, await nonce(api)).replace(
        "Sign in to geohunt.", "Sign in to geohunt. " + "x" * 3000
    )
    payload = {"message": message, "signature": sign(message, account.key)}
    await api.call("POST", "/v1/auth/siwe", 200, json=payload)
