"""The HTTP edge against forged credentials: forged, malformed and expired tokens, the
authorization schemes, and the role table enforced on every route.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt

from hunt_engine.keys import PURPOSE_QR, derive_key
from server.http.auth import ALGORITHM, ISSUER, Role, TokenIssuer
from server.http.routing import Route
from server.route_table import ROUTES
from tests.support.api import Api, bearer
from tests.support.builders import make_hunt
from tests.support.security import PROBLEM, assert_problem, call_raw, make_fixtures, problem_code

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


async def _tokens(api: Api, hunt: str | None = None) -> dict[Role, dict[str, str]]:
    hunter_id, _ = await api.hunter()
    subs = {Role.ORGANISER: "org-sec", Role.FIELD: "field-sec", Role.SCREEN: "screen-sec"}
    return {role: api.auth(role, subs.get(role, str(hunter_id)), hunt) for role in Role}


def protected_routes() -> list[Route]:
    found = [spec for spec in ROUTES if spec.roles]
    assert len(found) >= 15, [f"{r.method} {r.path}" for r in found]
    return found


async def test_every_protected_route_refuses_other_roles_and_anonymous(api: Api) -> None:
    world = await make_fixtures(api)
    tokens = await _tokens(api)
    wrong: list[str] = []
    for spec in protected_routes():
        path = world.path(spec)
        body = {} if spec.method in ("POST", "PATCH", "PUT") else None
        status, media, _, answer = await call_raw(api, spec.method, path, json=body)
        if (status, media, problem_code(answer)) != (401, PROBLEM, "unauthorized"):
            wrong.append(f"{spec.method} {spec.path} anonymous: {status} {answer}")
        for role in Role:
            status, media, _, answer = await call_raw(
                api, spec.method, path, headers=tokens[role], json=body
            )
            refused = isinstance(answer, dict) and "may not do this" in str(answer.get("detail"))
            if role in spec.roles:
                if status == 401 or refused:
                    wrong.append(f"{spec.method} {spec.path} as {role}: {status} {answer}")
            elif (status, media, problem_code(answer)) != (403, PROBLEM, "forbidden"):
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
            elif (status, problem_code(answer)) != (
                401,
                "unauthorized",
            ) or "Authorization" not in str(answer.get("detail")):
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
    world = await make_fixtures(api)
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
            if (status, problem_code(answer)) != expected:
                wrong.append(f"{spec.method} {spec.path} as {role}: {status} {answer}")
    assert not wrong, "\n".join(wrong)
