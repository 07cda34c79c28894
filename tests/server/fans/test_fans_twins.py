"""Taste twins through the app on the real database: a seeded population in the hand-computed
order, only discoverable hunters, nothing about them but handle and shared episodes."""

from __future__ import annotations

from typing import Any

import asyncpg
from eth_account import Account

from tests.support.api import Api, bearer, unique
from tests.support.builders import TIMES_SQUARE, Hunt, at, make_hunt
from tests.support.identity import siwe


class Population:
    """One hunt with collectibles A-F and a billboard clue for each."""

    def __init__(self, api: Api, hunt: Hunt, keys: dict[str, str], clues: dict[str, Any]) -> None:
        self.api, self.hunt, self.keys, self.clues = api, hunt, keys, clues

    @classmethod
    async def make(cls, api: Api, letters: str = "ABCDEF") -> Population:
        hunt = await make_hunt(api)
        keys, clues = {}, {}
        for letter in letters:
            keys[letter] = await hunt.collectible()
            clues[letter] = await hunt.clue(collectible=keys[letter])
        return cls(api, hunt, keys, clues)

    async def hunter(
        self, found: str, discoverable: bool = True, handle: str | None = None
    ) -> tuple[int, dict[str, str]]:
        hunter_id, headers = await self.api.hunter(handle)
        await self.find(headers, found)
        if discoverable:
            await privacy(self.api, headers, True)
        return hunter_id, headers

    async def find(self, headers: dict[str, str], found: str) -> None:
        for letter in found:
            code = self.hunt.code(self.clues[letter])
            await self.api.call(
                "POST", "/v1/scans", 201, headers=headers, json={"code": code, **at(TIMES_SQUARE)}
            )

    def shared(self, letters: str) -> list[str]:
        return sorted(self.keys[letter] for letter in letters)


async def privacy(api: Api, headers: dict[str, str], discoverable: bool) -> None:
    _, body = await api.call(
        "PUT", "/v1/me/privacy", 200, headers=headers, json={"discoverable": discoverable}
    )
    assert body == {"discoverable": discoverable}


async def twins(api: Api, headers: dict[str, str]) -> list[dict[str, Any]]:
    _, body = await api.call("GET", "/v1/me/twins", 200, headers=headers)
    assert set(body) == {"twins"}
    for twin in body["twins"]:
        assert set(twin) == {"hunter_id", "handle", "similarity", "shared"}, twin
    found: list[dict[str, Any]] = body["twins"]
    return found


async def test_a_seeded_population_comes_in_the_hand_computed_order(api: Api) -> None:
    world = await Population.make(api)
    caller_id, caller = await world.hunter("ABC")
    # (found, expected similarity to ABC, in common); created in this order, so ids ascend.
    seeded = {
        "same": ("ABC", 1.0),
        "superset": ("ABCD", 0.75),
        "pair AB": ("AB", 2 / 3),
        "pair BC": ("BC", 2 / 3),  # same similarity and in common as AB: the lower id first
        "wide": ("ABCDEF", 0.5),  # 3/6: ties with ABD's 2/4, more in common, so first
        "pair ABD": ("ABD", 0.5),
        "single": ("A", 1 / 3),
        "far": ("AD", 0.25),
        "nothing shared": ("DEF", 0.0),
    }
    ids: dict[str, int] = {}
    handles: dict[str, str] = {}
    # Created out of rank order, so that ids decide nothing but the tie (pair AB first).
    order = ["far", "single", "pair ABD", "wide", "pair AB", "pair BC", "superset", "same"]
    for name in [*order, "nothing shared"]:
        handles[name] = unique("tw")[:32]
        ids[name], _ = await world.hunter(seeded[name][0], handle=handles[name])
    hidden_id, _ = await world.hunter("ABC", discoverable=False)

    answer = await twins(api, caller)
    expected = [name for name in seeded if name != "nothing shared"]
    assert [t["hunter_id"] for t in answer] == [ids[n] for n in expected]
    for twin, name in zip(answer, expected, strict=True):
        found, similarity = seeded[name]
        assert twin["similarity"] == round(similarity, 6), (name, twin)
        assert twin["shared"] == world.shared("".join(c for c in found if c in "ABC"))
        assert twin["handle"] == handles[name]
    assert caller_id not in {t["hunter_id"] for t in answer}
    assert hidden_id not in {t["hunter_id"] for t in answer}


async def test_hunters_who_did_not_opt_in_never_appear(api: Api, db: asyncpg.Connection) -> None:
    world = await Population.make(api, "ABC")
    _, caller = await world.hunter("ABC")
    never_id, _ = await world.hunter("ABC", discoverable=False)
    later_id, later = await world.hunter("ABC", discoverable=False)
    opted_out_id, opted_out = await world.hunter("AB")
    assert [t["hunter_id"] for t in await twins(api, caller)] == [opted_out_id]

    await privacy(api, later, True)
    await privacy(api, opted_out, False)
    listed = [t["hunter_id"] for t in await twins(api, caller)]
    assert listed == [later_id]
    # Finds made after opting out do not bring a hunter back, and opting out twice is fine.
    await world.find(opted_out, "C")
    await privacy(api, opted_out, False)
    assert [t["hunter_id"] for t in await twins(api, caller)] == [later_id]
    assert never_id not in listed and opted_out_id not in listed
    # The rollup matches a count from scratch.
    drift = await db.fetchval(
        "SELECT count(*) FROM (SELECT collectibles, count(*)::int AS n FROM taste_sets"
        " WHERE discoverable GROUP BY collectibles) truth"
        " FULL JOIN (SELECT * FROM taste_groups WHERE members <> 0) g USING (collectibles)"
        " WHERE truth.n IS DISTINCT FROM g.members"
    )
    assert drift == 0


async def test_a_caller_who_did_not_opt_in_is_forbidden(api: Api) -> None:
    world = await Population.make(api, "AB")
    _, caller = await world.hunter("AB", discoverable=False)
    await world.hunter("AB")
    status, body = await api.call("GET", "/v1/me/twins", headers=caller)
    assert status == 403 and body["code"] == "forbidden", body
    assert "/v1/me/privacy" in body["detail"]
    await privacy(api, caller, True)
    assert len(await twins(api, caller)) == 1


async def test_top_20_and_hunters_without_finds_or_handles(api: Api) -> None:
    world = await Population.make(api, "AB")
    _, lonely = await api.hunter()
    await privacy(api, lonely, True)
    assert await twins(api, lonely) == []
    _, caller = await world.hunter("AB")
    twins_ids = [(await world.hunter("AB"))[0] for _ in range(22)]
    # A hunter signed in with Ethereum has no handle: null, and nothing else about them.
    signed_in = await siwe(api, Account.create(), 200)
    walleted = bearer(signed_in["token"])
    await world.find(walleted, "A")
    await privacy(api, walleted, True)
    answer = await twins(api, caller)
    assert [t["hunter_id"] for t in answer] == sorted(twins_ids)[:20]
    assert all(t["similarity"] == 1.0 for t in answer)
    _, single = await world.hunter("B")
    answer = await twins(api, single)
    assert len(answer) == 20 and answer[-1]["similarity"] == 0.5
    # Each twin of the single-B hunter shares only B; the walleted A-only hunter shares nothing.
    assert signed_in["hunter_id"] not in {t["hunter_id"] for t in answer}
    _, a_only = await world.hunter("A")
    listed = {t["hunter_id"]: t for t in await twins(api, a_only)}
    assert listed[signed_in["hunter_id"]]["handle"] is None


async def test_privacy_and_twins_validate_and_check_roles(api: Api) -> None:
    _, me = await api.hunter()
    for bad in ({}, {"discoverable": "yes"}, {"discoverable": 1}, {"discoverable": None},
                {"discoverable": True, "extra": 1}):  # fmt: skip
        status, body = await api.call("PUT", "/v1/me/privacy", headers=me, json=bad)
        assert status == 400 and body["code"] == "invalid_request", (bad, body)
    status, body = await api.call("GET", "/v1/me/twins", headers=api.organiser)
    assert status == 403 and body["code"] == "forbidden"
    status, body = await api.call("GET", "/v1/me/twins")
    assert status == 401 and body["code"] == "unauthorized"
