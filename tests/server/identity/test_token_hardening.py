"""Tokens cannot be turned into another fan: no route issues hunter tokens, a hunter token
never carries a hunt, every issued token is audited, and `?token=` is taken only by the routes
that cannot send a header (live streams, pages), and never by a route that changes anything."""

from __future__ import annotations

import asyncpg
from click.testing import CliRunner

from server.cli import main
from server.http.auth import Role
from server.route_table import ROUTES
from tests.support.api import TEST_SECRET, Api, unique
from tests.support.builders import TIMES_SQUARE, at, make_hunt


async def test_a_scoped_organiser_cannot_act_as_a_fan(api: Api, db: asyncpg.Connection) -> None:
    """The probe's path: a one-hunt organiser asked for a hunter token naming a fan of another
    hunt, then read and engraved that fan's finds. No hunter token comes out of the route."""
    mine, theirs = await make_hunt(api), await make_hunt(api)
    clue = await theirs.clue()
    fan_id, fan = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=fan, json={"code": theirs.code(clue), **at(TIMES_SQUARE)}
    )
    scoped = api.auth(Role.ORGANISER, unique("boss"), hunt=mine.slug)
    for body in (
        {"role": "hunter", "sub": str(fan_id)},
        {"role": "hunter", "sub": str(fan_id), "hunt": mine.slug},
    ):
        _, answer = await api.call("POST", "/v1/auth/tokens", 403, headers=scoped, json=body)
        assert answer["code"] == "forbidden"
    issued = await db.fetchval("SELECT count(*) FROM token_issues WHERE sub = $1", str(fan_id))
    assert issued == 0


async def test_every_issued_token_is_audited(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    boss = unique("boss")
    scoped = api.auth(Role.ORGANISER, boss, hunt=hunt.slug)
    crew = unique("crew")
    _, body = await api.call(
        "POST",
        "/v1/auth/tokens",
        201,
        headers=scoped,
        json={"role": "field", "sub": crew, "hunt": hunt.slug, "ttl_s": 600},
    )
    row = await db.fetchrow("SELECT * FROM token_issues WHERE sub = $1", crew)
    assert row is not None
    assert (row["issuer_role"], row["issuer_sub"], row["issuer_hunt"]) == (
        "organiser",
        boss,
        hunt.slug,
    )
    assert (row["role"], row["hunt"], row["ttl_s"]) == ("field", hunt.slug, 600)
    assert abs((row["expires_at"] - row["issued_at"]).total_seconds() - 600) < 5
    # The token itself is never kept.
    assert body["token"] not in " ".join(str(v) for v in row.values())
    # A refused request issues nothing and records nothing.
    await api.call(
        "POST", "/v1/auth/tokens", 403, headers=scoped, json={"role": "organiser", "sub": crew}
    )
    assert await db.fetchval("SELECT count(*) FROM token_issues WHERE sub = $1", crew) == 1


async def test_hunter_tokens_that_carry_a_hunt_are_refused(api: Api) -> None:
    """A scoped hunter token once claimed a find in another hunt through `/v1/scans`."""
    hunt, other = await make_hunt(api), await make_hunt(api)
    clue = await other.clue()
    hunter_id, own = await api.hunter()
    scoped = api.auth(Role.HUNTER, str(hunter_id), hunt=hunt.slug)
    scan = {"code": other.code(clue), **at(TIMES_SQUARE)}
    for method, path, body in (
        ("POST", "/v1/scans", scan),
        ("GET", "/v1/me", None),
        ("GET", "/v1/me/finds", None),
        ("PUT", "/v1/me/privacy", {"discoverable": True}),
        ("GET", f"/v1/hunts/{hunt.slug}/nearby?lat=40.758&lon=-73.9855&accuracy_m=10", None),
    ):
        _, answer = await api.call(method, path, 401, headers=scoped, json=body)
        assert answer["code"] == "unauthorized", path
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=own)
    assert finds == []
    await api.call("POST", "/v1/scans", 201, headers=own, json=scan)


def test_the_cli_refuses_a_hunt_limited_hunter_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEOHUNT_SECRET", TEST_SECRET)
    runner = CliRunner()
    refused = runner.invoke(main, ["token", "--role", "hunter", "--sub", "7", "--hunt", "ldr-s3"])
    assert refused.exit_code != 0 and "cannot be limited" in refused.output
    issued = runner.invoke(main, ["token", "--role", "hunter", "--sub", "7"])
    assert issued.exit_code == 0 and issued.output.count(".") == 2


async def test_query_tokens_only_on_streams_and_pages(api: Api) -> None:
    hunt = await make_hunt(api)
    organiser = api.organiser["Authorization"].removeprefix("Bearer ")
    # The probe minted an organiser token with `POST /v1/auth/tokens?token=...`.
    _, answer = await api.call(
        "POST",
        f"/v1/auth/tokens?token={organiser}",
        401,
        json={"role": "organiser", "sub": "escalated"},
    )
    assert answer["code"] == "unauthorized" and "Authorization" in answer["detail"]
    for path in (f"/v1/hunts/{hunt.slug}/stats", f"/v1/hunts/{hunt.slug}/clues"):
        _, answer = await api.call("GET", f"{path}?token={organiser}", 401)
        assert answer["code"] == "unauthorized"
    # The header still works there, and the streams and the ratings page still take ?token=.
    await api.call("GET", f"/v1/hunts/{hunt.slug}/stats", 200, headers=api.organiser)
    response = await api.client.get(f"/organisers/{hunt.slug}?token={organiser}")
    assert response.status == 200
    response = await api.client.get(
        f"/v1/hunts/{hunt.slug}/events?token={organiser}", headers={"Accept": "text/event-stream"}
    )
    assert response.status == 200
    response.close()
    allowed = {f"{r.method} {r.path}" for r in ROUTES if r.query_token}
    assert allowed == {
        "GET /v1/hunts/{slug}/live",
        "GET /v1/hunts/{slug}/events",
        "GET /organisers/{slug}",
    }
