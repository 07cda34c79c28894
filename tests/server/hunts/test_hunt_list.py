"""GET /v1/hunts: the hunts a fan can play now or soon, for the fan app's choice of hunt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.app import create_app
from server.http.auth import Role
from tests.support.api import Api, unique
from tests.support.builders import iso


async def create(api: Api, starts: timedelta, ends: timedelta, name: str = "H") -> str:
    slug = unique("list")
    now = datetime.now(UTC)
    body = {
        "slug": slug,
        "name": name,
        "description": f"About {slug}",
        "starts_at": iso(now + starts),
        "ends_at": iso(now + ends),
    }
    await api.call("POST", "/v1/hunts", 201, headers=api.organiser, json=body)
    return slug


async def test_running_and_soon_first_to_start_first_at_most_50(
    aiohttp_client: Any, settings_factory: Any, own_database: str
) -> None:
    # A database of its own: the run's shared one holds every other test's hunts.
    settings = settings_factory(database_url=own_database)
    api = Api(await aiohttp_client(create_app(settings)), settings)
    hour, day = timedelta(hours=1), timedelta(days=1)
    ended = await create(api, -2 * day, -hour)
    too_far = await create(api, 31 * day, 40 * day)
    soon = await create(api, 29 * day, 30 * day)
    running = await create(api, -day, day, name="Running")
    _, listed = await api.call("GET", "/v1/hunts", 200)
    assert [h["slug"] for h in listed] == [running, soon]
    assert listed[0] == {
        "slug": running,
        "name": "Running",
        "description": f"About {running}",
        "starts_at": listed[0]["starts_at"],
        "ends_at": listed[0]["ends_at"],
    }
    assert listed[0]["starts_at"].endswith("Z") and listed[0]["starts_at"] < listed[1]["starts_at"]
    # Anyone: a token is neither needed nor looked at.
    _, me = await api.hunter()
    _, again = await api.call("GET", "/v1/hunts", 200, headers=me)
    assert again == listed
    # Bounded, by start: the 50 that start first.
    many = [await create(api, -hour - n * timedelta(minutes=1), day) for n in range(50)]
    _, listed = await api.call("GET", "/v1/hunts", 200)
    assert len(listed) == 50
    assert [h["slug"] for h in listed] == [running, *reversed(many[1:])]
    assert ended not in str(listed) and too_far not in str(listed)


async def test_an_organiser_lists_every_hunt_it_may_run(api: Api) -> None:
    """The console's choice of hunt: past and far-future hunts too, the newest first; a token
    minted for one hunt lists that one only."""
    now = datetime.now(UTC)
    slugs = []
    for starts in (-400, 200):  # long over, and far off: not playable
        slug = unique("org-list")
        body = {
            "slug": slug,
            "name": slug,
            "starts_at": iso(now + timedelta(days=starts)),
            "ends_at": iso(now + timedelta(days=starts + 1)),
        }
        await api.call("POST", "/v1/hunts", 201, headers=api.organiser, json=body)
        slugs.append(slug)
    _, public = await api.call("GET", "/v1/hunts", 200)
    assert not {h["slug"] for h in public} & set(slugs)
    _, listed = await api.call("GET", "/v1/hunts", 200, headers=api.organiser)
    assert [h["slug"] for h in listed[:2]] == slugs[::-1]
    scoped = api.auth(Role.ORGANISER, "org-scoped", slugs[0])
    _, only = await api.call("GET", "/v1/hunts", 200, headers=scoped)
    assert [h["slug"] for h in only] == [slugs[0]]
    await api.call("GET", "/v1/hunts", 401, headers={"Authorization": "Bearer junk"})
