"""Tokens, walletless hunters, Sign-In with Ethereum, /v1/me and passkeys."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from hunt_engine.errors import (
    Conflict,
    Forbidden,
    HandleTaken,
    Unauthorized,
    WalletTaken,
)
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.identity import siwe as siwe_login
from server.identity.passkeys import LOGIN, Passkeys, RelyingParty, credential_id_text
from server.identity.queries import (
    CREATE_HANDLE_HUNTER_SQL,
    CREATE_WALLET_HUNTER_SQL,
    HUNTER_BY_WALLET_SQL,
    HUNTER_WALLET_FOR_UPDATE_SQL,
    LINK_WALLET_SQL,
    ME_SQL,
    RECORD_ISSUE_SQL,
    RELEASE_WAITING_FINDS_SQL,
)
from server.identity.schemas import (
    HunterIn,
    HunterOut,
    MeOut,
    NonceOut,
    PasskeyIn,
    PasskeyLoginIn,
    PasskeyLoginOut,
    PasskeyOptionsIn,
    PasskeyOptionsOut,
    PasskeyOut,
    SiweIn,
    SiweOut,
    TokenIn,
    TokenOut,
)

TABLE = RouteTable()

HUNTER_TTL_S = 30 * 24 * 3600


def _hunter_token(call: Call, hunter_id: int) -> str:
    token, _ = call.services.tokens.issue(Role.HUNTER, str(hunter_id), HUNTER_TTL_S)
    return token


@TABLE.route(
    "POST",
    "/v1/auth/tokens",
    "Issue a token for an organiser, a field crew or a screen (hunters sign in themselves)",
    roles={Role.ORGANISER},
    body=TokenIn,
    ok_status=201,
    ok_schema=TokenOut,
    errors=(400, 401, 403),
)
async def create_token(call: Call) -> web.Response:
    body: TokenIn = call.body
    role = Role(body.role)
    if role is Role.HUNTER:
        # A hunter's token acts as that fan everywhere (finds, engravings, privacy): it comes
        # only from the hunter's own sign-in (handle, SIWE, passkey), never from another role.
        raise Forbidden(
            "hunter tokens come only from the sign-in routes (handle, Ethereum, passkeys)"
        )
    if call.who.hunt is not None and body.hunt != call.who.hunt:
        # A token limited to one hunt must not mint its way out of that limit.
        raise Forbidden(f"this token may only mint tokens limited to hunt {call.who.hunt!r}")
    token, expires = call.services.tokens.issue(role, body.sub, body.ttl_s, body.hunt)
    expires_at = datetime.fromtimestamp(expires, UTC)
    await call.services.pool.execute(
        RECORD_ISSUE_SQL,
        call.who.role.value,
        call.who.sub,
        call.who.hunt,
        role.value,
        body.sub,
        body.hunt,
        body.ttl_s,
        expires_at,
    )
    return ok({"token": token, "expires_at": expires_at}, status=201)


@TABLE.route(
    "POST",
    "/v1/auth/hunters",
    "Join as a hunter without a wallet",
    body=HunterIn,
    ok_status=201,
    ok_schema=HunterOut,
    errors=(400, 409),
)
async def create_hunter(call: Call) -> web.Response:
    body: HunterIn = call.body
    try:
        hunter_id = await call.services.pool.fetchval(CREATE_HANDLE_HUNTER_SQL, body.handle)
    except asyncpg.UniqueViolationError:
        raise HandleTaken(f"handle {body.handle!r} is taken") from None
    return ok({"hunter_id": hunter_id, "token": _hunter_token(call, hunter_id)}, status=201)


@TABLE.route("GET", "/v1/auth/siwe/nonce", "A single-use sign-in nonce", ok_schema=NonceOut)
async def siwe_nonce(call: Call) -> web.Response:
    services = call.services
    return ok(
        {"nonce": await siwe_login.issue_nonce(services.redis, services.settings.redis_prefix)}
    )


@TABLE.route(
    "POST",
    "/v1/auth/siwe",
    "Sign in with Ethereum, or link a wallet to a walletless hunter",
    body=SiweIn,
    ok_schema=SiweOut,
    optional_auth=True,
    errors=(400, 401, 409, 422),
)
async def siwe_sign_in(call: Call) -> web.Response:
    body: SiweIn = call.body
    services = call.services
    wallet = await siwe_login.verify(
        services.redis,
        services.settings.redis_prefix,
        body.message,
        body.signature,
        services.settings.public_host,
    )
    linking = call.principal is not None and call.principal.role is Role.HUNTER
    async with services.pool.acquire() as conn, conn.transaction():
        owner = await conn.fetchval(HUNTER_BY_WALLET_SQL, wallet)
        if linking:
            assert call.principal is not None
            hunter_id = call.principal.hunter_id
            if owner is not None and owner != hunter_id:
                raise WalletTaken()
            current = await conn.fetchrow(HUNTER_WALLET_FOR_UPDATE_SQL, hunter_id)
            if current is None:
                raise Unauthorized("this hunter no longer exists")
            if current["wallet"] is None:
                try:
                    await conn.execute(LINK_WALLET_SQL, hunter_id, wallet)
                except asyncpg.UniqueViolationError:
                    # Another hunter took the wallet between the check above and now.
                    raise WalletTaken() from None
                await release_waiting_finds(conn, hunter_id)
            elif current["wallet"] != wallet:
                raise Conflict("this hunter already has another wallet")
        elif owner is not None:
            hunter_id = owner
        else:
            # Two first sign-ins of one wallet may race: the loser joins the winner's hunter.
            hunter_id = await conn.fetchval(CREATE_WALLET_HUNTER_SQL, wallet)
            if hunter_id is None:
                hunter_id = await conn.fetchval(HUNTER_BY_WALLET_SQL, wallet)
    return ok({"hunter_id": hunter_id, "token": _hunter_token(call, hunter_id), "wallet": wallet})


async def release_waiting_finds(conn: asyncpg.Connection, hunter_id: int) -> None:
    """A wallet arrived: finds that waited for one get their mint jobs, in the caller's
    transaction, so the link and the jobs commit together."""
    await conn.execute(RELEASE_WAITING_FINDS_SQL, hunter_id)


@TABLE.route(
    "GET", "/v1/me", "The calling hunter", roles={Role.HUNTER}, ok_schema=MeOut, errors=(401, 403)
)
async def me(call: Call) -> web.Response:
    row = await call.services.pool.fetchrow(ME_SQL, call.who.hunter_id)
    if row is None:
        raise Unauthorized("this hunter no longer exists")
    return ok(
        {
            "hunter_id": row["id"],
            "handle": row["handle"],
            "wallet": row["wallet"],
            "score": row["score"],
            "finds": row["finds"],
        }
    )


def _passkeys(call: Call) -> Passkeys:
    services = call.services
    return Passkeys(services.pool, RelyingParty.of(services.settings))


@TABLE.route(
    "POST",
    "/v1/auth/passkeys/options",
    "WebAuthn options with a single-use challenge (5 min): to sign in with a passkey, or for"
    " the calling hunter to register one",
    body=PasskeyOptionsIn,
    ok_schema=PasskeyOptionsOut,
    optional_auth=True,
    errors=(400, 401, 403),
)
async def passkey_options(call: Call) -> web.Response:
    body: PasskeyOptionsIn = call.body
    if body.purpose == LOGIN:
        return ok(await _passkeys(call).login_options())
    if call.principal is None:
        raise Unauthorized("registering a passkey needs the hunter's bearer token")
    if call.principal.role is not Role.HUNTER:
        raise Forbidden("only hunters register passkeys")
    return ok(await _passkeys(call).registration_options(call.principal.hunter_id))


@TABLE.route(
    "POST",
    "/v1/auth/passkeys",
    "Register a passkey for the calling hunter, who can then sign in with it anywhere",
    roles={Role.HUNTER},
    body=PasskeyIn,
    ok_status=201,
    ok_schema=PasskeyOut,
    errors=(400, 401, 403, 409),
)
async def register_passkey(call: Call) -> web.Response:
    body: PasskeyIn = call.body
    credential = body.credential.model_dump(exclude_none=True)
    credential_id = await _passkeys(call).register(call.who.hunter_id, credential)
    return ok({"credential_id": credential_id_text(credential_id)}, status=201)


@TABLE.route(
    "POST",
    "/v1/auth/passkeys/login",
    "Sign in with a passkey",
    body=PasskeyLoginIn,
    ok_schema=PasskeyLoginOut,
    errors=(400, 401),
)
async def passkey_login(call: Call) -> web.Response:
    body: PasskeyLoginIn = call.body
    hunter_id = await _passkeys(call).login(body.credential.model_dump(exclude_none=True))
    return ok({"hunter_id": hunter_id, "token": _hunter_token(call, hunter_id)})
