"""Passkeys on the real services, with a software authenticator that makes real WebAuthn
registration responses and assertions: register, sign in anywhere, and every refusal."""

from __future__ import annotations

import copy
from typing import Any

import asyncpg

from server.http.auth import Role
from tests.support.api import Api, bearer, unique
from tests.support.authenticator import (
    Passkey,
    assertion,
    b64url,
    register,
    unb64url,
)

OPTIONS = "/v1/auth/passkeys/options"
REGISTER = "/v1/auth/passkeys"
LOGIN = "/v1/auth/passkeys/login"


async def options(
    api: Api, purpose: str, headers: dict[str, str] | None = None, expect: int = 200
) -> dict[str, Any]:
    _, body = await api.call("POST", OPTIONS, expect, headers=headers, json={"purpose": purpose})
    return dict(body)


async def enrol(api: Api, **knobs: Any) -> tuple[int, dict[str, str], Passkey]:
    """A new walletless hunter with one passkey registered."""
    hunter_id, headers = await api.hunter()
    made = await options(api, "register", headers)
    passkey, credential = register(made, origin=api.settings.public_base_url, **knobs)
    _, body = await api.call(
        "POST", REGISTER, 201, headers=headers, json={"credential": credential}
    )
    assert body == {"credential_id": passkey.id}
    return hunter_id, headers, passkey


async def sign_in(api: Api, passkey: Passkey, expect: int, **knobs: Any) -> dict[str, Any]:
    made = await options(api, "login")
    knobs.setdefault("origin", api.settings.public_base_url)
    credential = assertion(passkey, made, **knobs)
    _, body = await api.call("POST", LOGIN, expect, json={"credential": credential})
    return dict(body)


async def refused(api: Api, passkey: Passkey, code: str, why: str = "", **knobs: Any) -> None:
    body = await sign_in(api, passkey, 401, **knobs)
    assert body["code"] == code and why in body["detail"], body


async def expire(db: asyncpg.Connection, challenge: str) -> None:
    """The challenge's 5 minutes are up (moved into the past rather than waited out)."""
    moved = await db.execute(
        "UPDATE passkey_challenges SET expires_at = now() - interval '1 second'"
        " WHERE challenge = $1",
        unb64url(challenge),
    )
    assert moved == "UPDATE 1"


# --- the way it should go ------------------------------------------------------------------------


async def test_register_then_sign_in_anywhere(api: Api, db: asyncpg.Connection) -> None:
    handle = "Pk." + unique("")[-12:]
    hunter_id, headers = await api.hunter(handle)
    made = await options(api, "register", headers)
    assert made["rp"] == {"name": "geohunt", "id": "geohunt.test"}
    user_id = unb64url(made["user"]["id"])
    assert made["user"]["name"] == made["user"]["displayName"] == handle
    assert handle.encode() not in user_id and len(user_id) >= 16
    assert made["authenticatorSelection"]["residentKey"] == "required"
    assert made["authenticatorSelection"]["userVerification"] == "preferred"
    assert made["excludeCredentials"] == [] and made["attestation"] == "none"
    assert {"type": "public-key", "alg": -7} in made["pubKeyCredParams"]
    assert len(unb64url(made["challenge"])) >= 16 and made["timeout"] == 300_000

    passkey, credential = register(made, origin=api.settings.public_base_url)
    _, body = await api.call(
        "POST", REGISTER, 201, headers=headers, json={"credential": credential}
    )
    assert body == {"credential_id": passkey.id}

    # The same hunter, another time: the same opaque user id, and the passkey it has excluded.
    again = await options(api, "register", headers)
    assert again["user"]["id"] == made["user"]["id"] and again["challenge"] != made["challenge"]
    assert again["excludeCredentials"] == [
        {"id": passkey.id, "type": "public-key", "transports": ["hybrid", "internal"]}
    ]

    # Sign in with no username: the request options name no credential.
    login = await options(api, "login")
    assert "allowCredentials" not in login and login["rpId"] == "geohunt.test"
    assert login["userVerification"] == "preferred"
    credential = assertion(passkey, login, origin=api.settings.public_base_url)
    _, signed_in = await api.call("POST", LOGIN, 200, json={"credential": credential})
    assert signed_in["hunter_id"] == hunter_id
    _, me = await api.call("GET", "/v1/me", 200, headers=bearer(signed_in["token"]))
    assert me["hunter_id"] == hunter_id and me["handle"] == handle

    row = await db.fetchrow(
        "SELECT sign_count, last_used_at, transports FROM passkeys WHERE credential_id = $1",
        passkey.credential_id,
    )
    assert row["sign_count"] == 1 and row["last_used_at"] is not None
    assert row["transports"] == ["hybrid", "internal"]
    # And again, from another device the passkey synced to: the counter moves on.
    second = await sign_in(api, passkey, 200)
    assert second["hunter_id"] == hunter_id


async def test_an_authenticator_without_a_counter_signs_in_again_and_again(api: Api) -> None:
    hunter_id, _, passkey = await enrol(api)
    for _ in range(2):
        body = await sign_in(api, passkey, 200, sign_count=0)
        assert body["hunter_id"] == hunter_id


async def test_a_hunter_may_keep_several_passkeys(api: Api) -> None:
    hunter_id, headers, first = await enrol(api)
    made = await options(api, "register", headers)
    second, credential = register(made, origin=api.settings.public_base_url)
    await api.call("POST", REGISTER, 201, headers=headers, json={"credential": credential})
    for passkey in (first, second):
        assert (await sign_in(api, passkey, 200))["hunter_id"] == hunter_id


# --- who may register --------------------------------------------------------------------------


async def test_registering_needs_a_hunter_token(api: Api) -> None:
    _, body = await api.call("POST", OPTIONS, 401, json={"purpose": "register"})
    assert body["code"] == "unauthorized"
    _, body = await api.call(
        "POST", OPTIONS, 403, headers=api.organiser, json={"purpose": "register"}
    )
    assert body["code"] == "forbidden"
    _, headers = await api.hunter()
    made = await options(api, "register", headers)
    _, credential = register(made, origin=api.settings.public_base_url)
    _, body = await api.call("POST", REGISTER, 401, json={"credential": credential})
    assert body["code"] == "unauthorized"
    screen = api.auth(Role.SCREEN, "screen-1")
    _, body = await api.call("POST", REGISTER, 403, headers=screen, json={"credential": credential})
    assert body["code"] == "forbidden"
    # Anyone may ask for login options, a hunter too.
    await options(api, "login")
    await options(api, "login", headers)


async def test_a_challenge_registers_only_for_the_hunter_who_asked(api: Api) -> None:
    _, asker = await api.hunter()
    _, other = await api.hunter()
    made = await options(api, "register", asker)
    _, credential = register(made, origin=api.settings.public_base_url)
    _, body = await api.call("POST", REGISTER, 401, headers=other, json={"credential": credential})
    assert body["code"] == "challenge_reused"
    # Taken by that attempt: the hunter who asked must ask again.
    _, body = await api.call("POST", REGISTER, 401, headers=asker, json={"credential": credential})
    assert body["code"] == "challenge_reused"


async def test_a_login_challenge_cannot_register_nor_a_registration_one_sign_in(api: Api) -> None:
    _, headers = await api.hunter()
    login = await options(api, "login")
    made = await options(api, "register", headers)
    _, credential = register(
        made, origin=api.settings.public_base_url, challenge=login["challenge"]
    )
    _, body = await api.call(
        "POST", REGISTER, 401, headers=headers, json={"credential": credential}
    )
    assert body["code"] == "challenge_reused"

    _, _, passkey = await enrol(api)
    made = await options(api, "register", headers)
    body = await sign_in(api, passkey, 401, challenge=made["challenge"])
    assert body["code"] == "challenge_reused"


async def test_a_registration_that_does_not_verify_is_refused(api: Api) -> None:
    _, headers = await api.hunter()
    base = api.settings.public_base_url
    for why, knobs in (
        ("another origin", {"origin": "https://evil.example"}),
        ("another relying party", {"origin": base, "rp_id": "evil.example"}),
        ("ceremony", {"origin": base, "kind": "webauthn.get"}),
    ):
        made = await options(api, "register", headers)
        _, credential = register(made, **knobs)
        _, body = await api.call(
            "POST", REGISTER, 401, headers=headers, json={"credential": credential}
        )
        assert body["code"] == "bad_assertion" and why in body["detail"], body
        # The reason is said without echoing what the client sent.
        assert "evil.example" not in body["detail"]
    # rawId that is not the attested credential's id
    made = await options(api, "register", headers)
    _, credential = register(made, origin=base)
    credential["id"] = credential["rawId"] = b64url(b"another id")
    _, body = await api.call(
        "POST", REGISTER, 401, headers=headers, json={"credential": credential}
    )
    assert body["code"] == "bad_assertion" and "rawId" in body["detail"]
    # Nothing was kept of the refused ones.
    again = await options(api, "register", headers)
    assert again["excludeCredentials"] == []


async def test_a_passkey_is_registered_once(api: Api) -> None:
    _, headers, passkey = await enrol(api)
    made = await options(api, "register", headers)
    _, credential = register(made, origin=api.settings.public_base_url, passkey=passkey)
    _, body = await api.call(
        "POST", REGISTER, 409, headers=headers, json={"credential": credential}
    )
    assert body["code"] == "conflict"


# --- challenges ---------------------------------------------------------------------------------


async def test_a_challenge_serves_once(api: Api) -> None:
    hunter_id, _, passkey = await enrol(api)
    made = await options(api, "login")
    credential = assertion(passkey, made, origin=api.settings.public_base_url)
    _, body = await api.call("POST", LOGIN, 200, json={"credential": credential})
    assert body["hunter_id"] == hunter_id
    _, body = await api.call("POST", LOGIN, 401, json={"credential": credential})
    assert body["code"] == "challenge_reused"
    # A challenge the server never gave
    body = await sign_in(api, passkey, 401, challenge=b64url(b"x" * 32))
    assert body["code"] == "challenge_reused"


async def test_a_challenge_is_taken_even_when_the_assertion_fails(api: Api) -> None:
    _, _, passkey = await enrol(api)
    made = await options(api, "login")
    bad = assertion(passkey, made, origin="https://evil.example")
    _, body = await api.call("POST", LOGIN, 401, json={"credential": bad})
    assert body["code"] == "bad_assertion"
    good = assertion(passkey, made, origin=api.settings.public_base_url)
    _, body = await api.call("POST", LOGIN, 401, json={"credential": good})
    assert body["code"] == "challenge_reused"


async def test_an_expired_challenge_is_refused(api: Api, db: asyncpg.Connection) -> None:
    _, headers, passkey = await enrol(api)
    made = await options(api, "login")
    await expire(db, made["challenge"])
    credential = assertion(passkey, made, origin=api.settings.public_base_url)
    _, body = await api.call("POST", LOGIN, 401, json={"credential": credential})
    assert body["code"] == "challenge_reused"

    made = await options(api, "register", headers)
    await expire(db, made["challenge"])
    _, credential = register(made, origin=api.settings.public_base_url)
    _, body = await api.call(
        "POST", REGISTER, 401, headers=headers, json={"credential": credential}
    )
    assert body["code"] == "challenge_reused"


# --- assertions that do not verify -------------------------------------------------------------


async def test_wrong_origin_or_relying_party(api: Api) -> None:
    _, _, passkey = await enrol(api)
    for origin in ("https://geohunt.test.evil.example", "http://geohunt.test:8080"):
        await refused(api, passkey, "bad_assertion", "another origin", origin=origin)
    await refused(api, passkey, "bad_assertion", "another relying party", rp_id="evil.example")
    await refused(api, passkey, "bad_assertion", "ceremony", kind="webauthn.create")
    await sign_in(api, passkey, 200)


async def test_unknown_credential(api: Api) -> None:
    stranger = Passkey(rp_id="geohunt.test", user_handle=b"u" * 32)
    await refused(api, stranger, "bad_assertion", "no such passkey")


async def test_counter_that_goes_back(api: Api) -> None:
    _, _, passkey = await enrol(api)
    await sign_in(api, passkey, 200, sign_count=5)
    for count in (5, 3, 0):
        await refused(api, passkey, "bad_assertion", "counter", sign_count=count)
    await sign_in(api, passkey, 200, sign_count=6)


async def test_bad_signature(api: Api) -> None:
    _, _, passkey = await enrol(api)
    await refused(api, passkey, "bad_assertion", "signature", bad_signature=True)
    # A signature made by the right key over other bytes
    made = await options(api, "login")
    credential = assertion(passkey, made, origin=api.settings.public_base_url)
    other = assertion(passkey, made, origin=api.settings.public_base_url)
    credential["response"]["signature"] = other["response"]["signature"]
    _, body = await api.call("POST", LOGIN, 401, json={"credential": credential})
    assert body["code"] == "bad_assertion" and "signature" in body["detail"]


async def test_another_users_handle(api: Api) -> None:
    _, _, passkey = await enrol(api)
    await refused(api, passkey, "bad_assertion", "another user", user_handle=b"someone's handle")


# --- junk ---------------------------------------------------------------------------------------


async def test_junk_is_refused_at_the_edge(api: Api) -> None:
    for body in (
        {},
        {"purpose": "delete"},
        {"purpose": "LOGIN"},
        {"purpose": None},
        {"purpose": "login", "extra": 1},
        [],
        "login",
    ):
        _, answer = await api.call("POST", OPTIONS, 400, json=body)
        assert answer["code"] == "invalid_request", body

    _, headers, passkey = await enrol(api)
    made = await options(api, "login")
    good = assertion(passkey, made, origin=api.settings.public_base_url)
    junk: list[Any] = [None, "x", [], {}]
    for path, change in (
        ("id", None),
        ("id", "not base64url!"),
        ("id", "A" * 1365),
        ("rawId", 12),
        ("type", "password"),
        ("response.signature", "s" * 1025),
        ("response.clientDataJSON", "a=b"),
        ("response.authenticatorData", ""),
        ("response.userHandle", "u" * 87),
        ("response.extra", "x"),
        ("clientExtensionResults", {str(i): i for i in range(17)}),
        ("authenticatorAttachment", "usb"),
    ):
        credential = copy.deepcopy(good)
        node, _, key = path.rpartition(".")
        (credential[node] if node else credential)[key] = change
        junk.append(credential)
    for credential in junk:
        _, answer = await api.call("POST", LOGIN, 400, json={"credential": credential})
        assert answer["code"] == "invalid_request", credential
        # An assertion is no registration response.
        _, answer = await api.call(
            "POST", REGISTER, 400, headers=headers, json={"credential": credential}
        )
        assert answer["code"] == "invalid_request", credential
    _, answer = await api.call("POST", REGISTER, 400, headers=headers, json={"credential": good})
    assert answer["code"] == "invalid_request"

    # Well formed, but bytes no base64url gives (4n + 1 characters), after a good challenge.
    for path in ("rawId", "userHandle"):
        made = await options(api, "login")
        credential = assertion(passkey, made, origin=api.settings.public_base_url)
        if path == "rawId":
            credential["id"] = credential["rawId"] = "abcde"
        else:
            credential["response"]["userHandle"] = "abcde"
        _, answer = await api.call("POST", LOGIN, 401, json={"credential": credential})
        assert answer["code"] == "bad_assertion", path

    # Well formed, but no clientDataJSON one can read a challenge from.
    for client_data in (b64url(b"not json"), b64url(b"[]"), b64url(b'{"challenge": 5}'), "abcde"):
        credential = copy.deepcopy(good)
        credential["response"]["clientDataJSON"] = client_data
        _, answer = await api.call("POST", LOGIN, 401, json={"credential": credential})
        assert answer["code"] == "bad_assertion", client_data
