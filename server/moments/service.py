"""The moments' commands, each one transaction: making a moment, an organiser's decision, and a
fan's report. The rules are `hunt_engine.moments`'; what is stored is migration 0011's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from hunt_engine.errors import NotFound, Unauthorized
from hunt_engine.moments import (
    Decision,
    MomentLimit,
    NotMomentHolder,
    check_scene,
    clean_note,
    clean_reason,
    clean_title,
    hidden_by_reports,
    review,
)
from hunt_engine.rules import HuntRules
from server.fans.sketch import Sketch, decode_sketch
from server.http.auth import Principal
from server.moments.queries import (
    ADD_REPORT_SQL,
    AUTHOR_WALLET_SQL,
    COUNT_REPORT_SQL,
    DECIDE_SQL,
    FOLD_ROW_SQL,
    HIDE_SQL,
    HOLDS_COLLECTIBLE_SQL,
    HUNT_COLLECTIBLE_SQL,
    INSERT_MOMENT_SQL,
    MOMENT_FOR_UPDATE_SQL,
    MOMENT_OWNER_SQL,
    QUEUE_MINT_SQL,
    RECORD_DECISION_SQL,
    TAKE_QUOTA_SQL,
)
from server.moments.schemas import MomentIn


@dataclass(frozen=True, slots=True)
class Draft:
    """A moment's input, checked and normalised, its sketch re-encoded: what is stored."""

    collectible: str
    scene_s: int
    title: str
    note: str | None
    sketch: Sketch | None


async def draft_of(body: MomentIn) -> Draft:
    """Every check on the body alone, before any I/O; `InvalidRequest` names the first
    field that fails."""
    title = clean_title(body.title)
    note = None if body.note is None else clean_note(body.note)
    scene_s = check_scene(body.scene_s)
    sketch = None
    if body.sketch is not None:
        # Decoding a 2048x2048 PNG takes tens of milliseconds: off the event loop.
        sketch = await asyncio.to_thread(decode_sketch, body.sketch)
    return Draft(body.collectible, scene_s, title, note, sketch)


async def create_moment(pool: asyncpg.Pool, slug: str, hunter_id: int, draft: Draft) -> int:
    """A new pending moment of `slug` by this hunter, who must hold a find of its collectible;
    its id. `moment_limit` once the hunter has made `moments_per_hunter` in this hunt."""
    async with pool.acquire() as conn, conn.transaction():
        hunt = await conn.fetchrow(HUNT_COLLECTIBLE_SQL, slug, draft.collectible)
        if hunt is None:
            raise NotFound(f"no hunt {slug!r}")
        if hunt["collectible_id"] is None:
            raise NotFound(f"no collectible {draft.collectible!r} in hunt {slug!r}")
        holds = await conn.fetchval(HOLDS_COLLECTIBLE_SQL, hunter_id, hunt["collectible_id"])
        if not holds:
            raise NotMomentHolder(
                f"you hold no find of {draft.collectible!r}: a moment is made of an episode"
                " you found (and still hold)"
            )
        limit = HuntRules.from_mapping(hunt["rules"]).moments_per_hunter
        made = await conn.fetchval(TAKE_QUOTA_SQL, hunt["hunt_id"], hunter_id, limit)
        if made is None:
            raise MomentLimit(f"at most {limit} moments per hunter in hunt {slug!r}")
        sketch = draft.sketch
        try:
            moment_id = await conn.fetchval(
                INSERT_MOMENT_SQL,
                hunt["hunt_id"],
                hunt["collectible_id"],
                hunter_id,
                draft.scene_s,
                draft.title,
                draft.note,
                sketch.data if sketch else None,
                sketch.media_type if sketch else None,
            )
        except asyncpg.ForeignKeyViolationError:
            raise Unauthorized("this hunter no longer exists") from None
        await conn.execute(FOLD_ROW_SQL, hunt["hunt_id"])
    return int(moment_id)


async def decide(
    pool: asyncpg.Pool, moment_id: int, who: Principal, decision: Decision, reason: str | None
) -> None:
    """An organiser approves or rejects a moment (any status), kept with who and when. The
    first approval gives it its token; an approval queues its mint to the author's wallet, or
    leaves it waiting for one (the wallet's link queues it then)."""
    why = None if reason is None else clean_reason(reason)
    outcome = review(decision, why)
    owner = await pool.fetchrow(MOMENT_OWNER_SQL, moment_id)
    if owner is None:
        raise NotFound(f"no moment {moment_id}")
    who.check_hunt(owner["hunt"])
    async with pool.acquire() as conn, conn.transaction():
        # The author's row first, then the moment's: the order the wallet's link takes them.
        wallet = await conn.fetchval(AUTHOR_WALLET_SQL, owner["author_id"])
        if await conn.fetchrow(MOMENT_FOR_UPDATE_SQL, moment_id) is None:
            raise NotFound(f"no moment {moment_id}")
        await conn.execute(DECIDE_SQL, moment_id, outcome.status)
        await conn.execute(
            RECORD_DECISION_SQL,
            moment_id,
            decision,
            outcome.status,
            why,
            "organiser",
            who.sub,
            None,
        )
        if outcome.mints and wallet is not None:
            await conn.execute(QUEUE_MINT_SQL, moment_id, wallet)


async def report(pool: asyncpg.Pool, moment_id: int, hunter_id: int, reason: str) -> bool:
    """A hunter reports a moment (once per review round); at the hunt's
    `moment_report_threshold` distinct reporters an approved moment is hidden until it is
    reviewed again. Whether this report was new."""
    text = clean_reason(reason)
    owner = await pool.fetchrow(MOMENT_OWNER_SQL, moment_id)
    if owner is None:
        raise NotFound(f"no moment {moment_id}")
    threshold = HuntRules.from_mapping(owner["rules"]).moment_report_threshold
    async with pool.acquire() as conn, conn.transaction():
        # Reports of one moment are counted one after another (a moment's reports are few):
        # two reports cannot both see the count below the threshold.
        moment = await conn.fetchrow(MOMENT_FOR_UPDATE_SQL, moment_id)
        if moment is None or moment["status"] not in ("approved", "hidden"):
            raise NotFound(f"no moment {moment_id}")
        try:
            added = await conn.fetchval(
                ADD_REPORT_SQL, moment_id, moment["review_round"], hunter_id, text
            )
        except asyncpg.ForeignKeyViolationError:
            raise Unauthorized("this hunter no longer exists") from None
        if added is None:
            return False
        reporters = await conn.fetchval(COUNT_REPORT_SQL, moment_id)
        if hidden_by_reports(moment["status"], reporters, threshold):
            await conn.execute(HIDE_SQL, moment_id)
            await conn.execute(
                RECORD_DECISION_SQL,
                moment_id,
                "hide",
                "hidden",
                f"{reporters} reports",
                "reports",
                None,
                reporters,
            )
    return True
