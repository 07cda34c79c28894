"""Reviewing moments: organisers approve or reject (with a reason), every decision kept with who
and when; reports from distinct hunters hide an approved moment at the hunt's threshold until
it is reviewed again; a hidden or rejected moment's token metadata drops its note and sketch."""

from __future__ import annotations

import asyncio

import asyncpg

from server.http.auth import Role
from tests.support.api import RUN, Api
from tests.support.moments import Episode, approved_moment, base64_of, decide, tiny_png


async def report(api: Api, moment_id: int, headers: dict[str, str], expect: int = 202) -> None:
    await api.call(
        "POST", f"/v1/moments/{moment_id}/report", expect, headers=headers, json={"reason": "spam"}
    )


async def test_approval_gives_a_token_and_every_decision_is_kept(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    _, made = await episode.moment(fan, note="hello", sketch=base64_of(tiny_png()))
    moment_id = made["id"]
    _, queue = await api.call(
        "GET", f"/v1/hunts/{episode.slug}/moments?status=pending", 200, headers=api.organiser
    )
    assert [m["id"] for m in queue] == [moment_id]
    assert queue[0]["note"] == "hello" and queue[0]["sketch_url"]  # the organiser reviews all

    # A rejection says why.
    status, problem = await decide(api, moment_id, "reject", expect=400)
    assert problem["code"] == "invalid_request"
    _, rejected = await decide(api, moment_id, "reject", "off topic")
    assert rejected["status"] == "rejected" and rejected["token_id"] is None
    _, approved = await decide(api, moment_id, "approve")
    assert approved["status"] == "approved"
    assert approved["token_id"] == 2**62 + moment_id
    assert approved["mint"] == {"status": "awaiting_wallet"}  # a walletless author
    _, again = await decide(api, moment_id, "approve", "still good")
    assert again["token_id"] == approved["token_id"]  # given once, kept

    _, decisions = await api.call(
        "GET", f"/v1/moments/{moment_id}/decisions", 200, headers=api.organiser
    )
    assert [(d["action"], d["status"], d["reason"]) for d in decisions] == [
        ("reject", "rejected", "off topic"),
        ("approve", "approved", None),
        ("approve", "approved", "still good"),
    ]
    for d in decisions:
        assert d["actor_role"] == "organiser" and d["actor"] == f"org-{RUN}"
        assert d["decided_at"].endswith("Z")
    # Public now: listed, with its note and sketch.
    _, listed = await api.call("GET", f"/v1/hunts/{episode.slug}/moments", 200)
    assert [m["id"] for m in listed] == [moment_id] and listed[0]["note"] == "hello"
    response = await api.client.get(f"/v1/moments/{moment_id}/sketch")
    assert response.status == 200 and response.headers["Cache-Control"] == "public, max-age=60"


async def test_who_may_review(api: Api) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    _, made = await episode.moment(fan)
    await decide(api, made["id"], "approve", expect=403, headers=fan.headers)
    await decide(api, made["id"], "approve", expect=401, headers={"X": "none"})
    elsewhere = api.auth(Role.ORGANISER, "other-hunt-boss", hunt="some-other-hunt")
    await decide(api, made["id"], "approve", expect=403, headers=elsewhere)
    await api.call("GET", f"/v1/moments/{made['id']}/decisions", 403, headers=elsewhere)
    mine = api.auth(Role.ORGANISER, "this-hunt-boss", hunt=episode.slug)
    await decide(api, made["id"], "approve", headers=mine)
    await decide(api, 2**62 - 1, "approve", expect=404)
    # Listing by status is for the hunt's organisers.
    path = f"/v1/hunts/{episode.slug}/moments?status=pending"
    await api.call("GET", path, 401)
    await api.call("GET", path, 403, headers=fan.headers)
    await api.call("GET", path, 403, headers=elsewhere)
    await api.call("GET", path, 200, headers=mine)


async def test_reports_hide_at_the_threshold_until_reviewed_again(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api, rules={"moment_report_threshold": 3})
    author = await episode.finder()
    moment = await approved_moment(
        api, episode, author, note="secret", sketch=base64_of(tiny_png())
    )
    moment_id, token_id = moment["id"], moment["token_id"]
    _, metadata = await api.call("GET", f"/v1/tokens/{token_id}", 200)
    assert {"trait_type": "Note", "value": "secret"} in metadata["attributes"]
    assert metadata["sketch_image"].endswith(f"/v1/tokens/{token_id}/sketch")
    await api.call("GET", f"/v1/tokens/{token_id}/sketch", 200)

    reporters = [(await api.hunter())[1] for _ in range(4)]
    # The same hunter twice is one report.
    await report(api, moment_id, reporters[0])
    await report(api, moment_id, reporters[0])
    await report(api, moment_id, reporters[1])
    _, seen = await api.call("GET", f"/v1/moments/{moment_id}", 200)
    assert seen["status"] == "approved"
    # The third distinct reporter hides it; reports racing at the threshold count each once.
    await asyncio.gather(report(api, moment_id, reporters[2]), report(api, moment_id, reporters[3]))
    await api.call("GET", f"/v1/moments/{moment_id}", 404)
    _, listed = await api.call("GET", f"/v1/hunts/{episode.slug}/moments", 200)
    assert listed == []
    _, own = await api.call("GET", f"/v1/moments/{moment_id}", 200, headers=author.headers)
    assert own["status"] == "hidden"
    _, hidden = await api.call(
        "GET", f"/v1/hunts/{episode.slug}/moments?status=hidden", 200, headers=api.organiser
    )
    assert [m["id"] for m in hidden] == [moment_id]

    # The token stays; its metadata drops the note and the sketch.
    _, metadata = await api.call("GET", f"/v1/tokens/{token_id}", 200)
    assert "secret" not in str(metadata) and "sketch_image" not in metadata
    assert {"trait_type": "Scene", "value": "12:34"} in metadata["attributes"]
    await api.call("GET", f"/v1/tokens/{token_id}/sketch", 404)
    await api.call("GET", f"/v1/moments/{moment_id}/sketch", 404)

    _, decisions = await api.call(
        "GET", f"/v1/moments/{moment_id}/decisions", 200, headers=api.organiser
    )
    hide = decisions[-1]
    assert (hide["action"], hide["status"], hide["actor_role"], hide["actor"]) == (
        "hide",
        "hidden",
        "reports",
        None,
    )
    assert hide["reports"] == 3
    assert await db.fetchval("SELECT reports FROM moments WHERE id = $1", moment_id) == 4

    # Reviewed again: approved, with a new round of reports (one report no longer hides it).
    await decide(api, moment_id, "approve")
    await report(api, moment_id, reporters[0])
    _, back = await api.call("GET", f"/v1/moments/{moment_id}", 200)
    assert back["status"] == "approved" and back["token_id"] == token_id
    _, metadata = await api.call("GET", f"/v1/tokens/{token_id}", 200)
    assert {"trait_type": "Note", "value": "secret"} in metadata["attributes"]

    # Taken down for good: rejected, the token keeps its metadata without note and sketch.
    await decide(api, moment_id, "reject", "a spoiler")
    _, metadata = await api.call("GET", f"/v1/tokens/{token_id}", 200)
    assert "secret" not in str(metadata) and "sketch_image" not in metadata
    actions = await db.fetch(
        "SELECT action, actor_role FROM moment_decisions WHERE moment_id = $1 ORDER BY id",
        moment_id,
    )
    assert [(r["action"], r["actor_role"]) for r in actions] == [
        ("approve", "organiser"),
        ("hide", "reports"),
        ("approve", "organiser"),
        ("reject", "organiser"),
    ]


async def test_reports_of_moments_nobody_may_see_are_not_found(api: Api) -> None:
    episode = await Episode.make(api)
    fan = await episode.finder()
    _, pending = await episode.moment(fan)
    _, someone = await api.hunter()
    await report(api, pending["id"], someone, expect=404)
    await report(api, 2**62 - 1, someone, expect=404)
    await api.call(
        "POST", f"/v1/moments/{pending['id']}/report", 400, headers=someone, json={"reason": ""}
    )
    # A pending moment has no token yet.
    await api.call("GET", f"/v1/tokens/{2**62 + pending['id']}", 404)
