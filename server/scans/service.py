"""POST /v1/scans end to end: one Redis round trip, the in-memory rules, one database call
(shared with the scans waiting at the same moment: batcher.py)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from hunt_engine.codes import ScannedCode, parse_code
from hunt_engine.errors import (
    VERDICT_BY_CODE,
    Conflict,
    ImpossibleTravel,
    InvalidCode,
    RateLimited,
    ScanRejected,
    Unauthorized,
)
from hunt_engine.keys import Keyring
from hunt_engine.models import Clue, Hunt
from hunt_engine.rules import HuntRules
from hunt_engine.scan_rules import Admitted, ScanFacts, admit
from server.common.catalog import Catalog
from server.common.gate import ScanGate, body_hash
from server.common.leaderboard import Leaderboard
from server.http.metrics import SCANS
from server.http.responses import iso
from server.scans.batcher import ClaimBatcher
from server.scans.hunter_state import UNKNOWN, HunterState, HunterStateCache
from server.scans.queries import (
    CLAIM_SQL,
    HUNTER_STATE_FOR_UPDATE_SQL,
    HUNTER_STATE_SQL,
)
from server.scans.refusals import record_refusal
from server.scans.schemas import ScanIn

# How long a retried Idempotency-Key waits for its first request before a 409.
IN_FLIGHT_WAIT_S = 10.0
IN_FLIGHT_POLL_S = 0.05
IN_TURN_TRIES = 3  # a scan decided in turn that loses a deadlock is decided again


@dataclass(frozen=True, slots=True)
class ScanAnswer:
    status: int
    body: dict[str, Any]


@dataclass(slots=True)
class _Target:
    code: ScannedCode | None = None
    clue: Clue | None = None
    hunt: Hunt | None = None
    error: ScanRejected | None = None


class ScanService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        catalog: Catalog,
        gate: ScanGate,
        keyring: Keyring,
        hunters: HunterStateCache,
        leaderboard: Leaderboard,
    ) -> None:
        self._pool = pool
        self._catalog = catalog
        self._gate = gate
        self._keyring = keyring
        self._hunters = hunters
        self._leaderboard = leaderboard
        self.claims = ClaimBatcher(pool)

    async def _target(self, text: str) -> _Target:
        try:
            code = parse_code(self._keyring, text.strip())
        except InvalidCode as err:
            return _Target(error=err)
        clue = await self._catalog.clue(self._pool, code.clue_id, code.version)
        hunt = None if clue is None else self._catalog.hunts.get(clue.hunt_id)
        if clue is None or hunt is None:
            return _Target(code=code, error=InvalidCode("this code's clue no longer exists"))
        return _Target(code, clue, hunt)

    async def scan(
        self,
        hunter_id: int,
        scan: ScanIn,
        raw_body: bytes,
        idempotency_key: str | None,
        address: str | None,
    ) -> ScanAnswer:
        now = datetime.now(UTC)
        target = await self._target(scan.code)
        rules = target.hunt.rules if target.hunt is not None else HuntRules()
        digest = body_hash(raw_body)
        gate = await self._gate.enter(hunter_id, rules.scans_per_minute, idempotency_key, digest)
        # A retry (a double tap, a phone's queue sent again) of a scan still running waits for
        # it: then it replays its answer, or, if the first was refused, is decided afresh.
        waited_until = time.monotonic() + IN_FLIGHT_WAIT_S
        while gate.outcome == "in_flight" and time.monotonic() < waited_until:
            await asyncio.sleep(IN_FLIGHT_POLL_S)
            gate = await self._gate.enter(
                hunter_id, rules.scans_per_minute, idempotency_key, digest
            )
        if gate.outcome == "replay":
            assert gate.replay is not None
            return ScanAnswer(200, gate.replay)
        if gate.outcome in ("in_flight", "mismatch"):
            raise Conflict(
                "a scan with this Idempotency-Key is still running"
                if gate.outcome == "in_flight"
                else "this Idempotency-Key was used with another body"
            )
        # Only a request that took the key's claim may give it back.
        claimed_key = idempotency_key if gate.outcome == "ok" else None
        try:
            early = target.error
            if gate.outcome == "limited":
                early = RateLimited(retry_after_s=gate.retry_after_s)
            if early is not None:
                await self._reject(None, hunter_id, scan, target, early.code, None, address)
                raise early
            answer = await self._decide(hunter_id, scan, target, now, address)
        except ScanRejected as err:
            SCANS.labels(err.code).inc()
            await self._gate.release(hunter_id, claimed_key)
            raise
        except BaseException:
            await self._gate.release(hunter_id, claimed_key)
            raise
        SCANS.labels("accepted").inc()
        await self._gate.remember(hunter_id, idempotency_key, digest, answer)
        return ScanAnswer(201, answer)

    async def _decide(
        self, hunter_id: int, scan: ScanIn, target: _Target, now: datetime, address: str | None
    ) -> dict[str, Any]:
        assert target.code and target.clue and target.hunt
        facts = ScanFacts(scan.lat, scan.lon, scan.accuracy_m, scan.scanned_at)
        # The usual case, one round trip shared with the scans waiting at the same moment:
        # decided on this process's copy of the hunter (a hunter it has not seen yet is taken
        # to be new), which `claim_find` refuses ('stale') if another scan took a find since.
        cached = self._hunters.get(hunter_id) or UNKNOWN
        row = await self._attempt(None, hunter_id, scan, target, facts, cached, now, address)
        if row is None:
            # Stale: `claim_find` answered with the hunter's state as committed (another
            # process, or another scan here, took a find). Once more with the others waiting,
            # on that state, before the hunter is locked on a connection of its own (four
            # round trips where this is one shared): with several processes, a hunter's scans
            # that alternate between them meet a stale copy every time.
            fresh = self._hunters.get(hunter_id)
            if fresh is not None and fresh != cached:
                row = await self._attempt(None, hunter_id, scan, target, facts, fresh, now, address)
        if row is None:
            async with self._pool.acquire() as conn:
                row = await self._attempt_in_turn(
                    conn, hunter_id, scan, target, facts, now, address
                )
        # The rank is Redis's: asked after the database connection went back to the pool.
        rank = await self._leaderboard.record(
            target.hunt.id, hunter_id, row["score"], row["reached_at"]
        )
        return self._answer(row, target, rank)

    async def _attempt_in_turn(
        self,
        conn: asyncpg.Connection,
        hunter_id: int,
        scan: ScanIn,
        target: _Target,
        facts: ScanFacts,
        now: datetime,
        address: str | None,
    ) -> asyncpg.Record:
        """Scans by one hunter decided one after another: the hunter's row is locked first, so
        this waits for any other claim of the hunter to commit and then decides on the state it
        left (the travel rule sees that find). Never stale, so a burst of one fan's scans (an
        offline queue sent at once, a double tap) waits instead of being refused. A refusal is
        recorded in the same transaction and raised once it has committed. A deadlock's loser
        (rolled back, so nothing happened) is decided again."""
        for attempt in range(IN_TURN_TRIES):
            refusal: ScanRejected | None = None
            try:
                async with conn.transaction():
                    state = await self._load_state(conn, hunter_id, HUNTER_STATE_FOR_UPDATE_SQL)
                    try:
                        row = await self._attempt(
                            conn, hunter_id, scan, target, facts, state, now, address, final=True
                        )
                    except ScanRejected as err:
                        refusal = err
                break
            except asyncpg.TransactionRollbackError:
                if attempt + 1 == IN_TURN_TRIES:
                    raise
        if refusal is not None:
            raise refusal
        assert row is not None, "a locked hunter's claim cannot be stale"
        return row

    async def _attempt(
        self,
        conn: asyncpg.Connection | None,
        hunter_id: int,
        scan: ScanIn,
        target: _Target,
        facts: ScanFacts,
        state: HunterState,
        now: datetime,
        address: str | None,
        *,
        final: bool = False,
    ) -> asyncpg.Record | None:
        """One decision on `state`: the accepted claim's row, a refusal (recorded, then raised),
        or None when `state` may be out of date and only a `final` (locked) attempt can tell.
        Without `conn` the claim goes with the other scans waiting at the same moment."""
        assert target.code and target.clue and target.hunt
        try:
            admitted = admit(
                target.code,
                target.hunt,
                target.clue,
                facts,
                state.prior,
                now,
                hunter_id,
                self._catalog.code_version(target.clue.id),
            )
        except ImpossibleTravel:
            if not final:
                # A cached prior find may predate one taken through another process.
                return None
            await self._reject(conn, hunter_id, scan, target, "impossible_travel", None, address)
            raise
        except ScanRejected as err:
            distance = err.extra.get("distance_m")
            await self._reject(conn, hunter_id, scan, target, err.code, distance, address)
            raise
        row = await self._claim(conn, hunter_id, state.version, scan, target, admitted, address)
        self._hunters.put(
            hunter_id,
            HunterState.from_columns(
                row["version"], row["last_lat"], row["last_lon"], row["last_found_at"]
            ),
        )
        verdict = row["verdict"]
        if verdict == "accepted":
            return row
        if verdict == "stale":
            return None
        if verdict == "unknown_hunter":
            raise Unauthorized("this token names no hunter")
        raise VERDICT_BY_CODE[verdict]()

    async def _load_state(
        self, conn: asyncpg.Connection, hunter_id: int, sql: str = HUNTER_STATE_SQL
    ) -> HunterState:
        row = await conn.fetchrow(sql, hunter_id)
        if row is None:
            return UNKNOWN
        state = HunterState.from_columns(*row.values())
        self._hunters.put(hunter_id, state)
        return state

    async def _claim(
        self,
        conn: asyncpg.Connection | None,
        hunter_id: int,
        version: int,
        scan: ScanIn,
        target: _Target,
        admitted: Admitted,
        address: str | None,
    ) -> asyncpg.Record:
        assert target.clue and target.hunt
        args = (
            hunter_id,
            version,
            target.hunt.id,
            target.clue.collectible_id,
            target.clue.id,
            scan.lat,
            scan.lon,
            scan.accuracy_m,
            admitted.distance_m,
            scan.scanned_at,
            scan.device_id,
            address,
        )
        if conn is None:
            return await self.claims.claim(args)
        return await conn.fetchrow(CLAIM_SQL, *args)

    async def _reject(
        self,
        conn: asyncpg.Connection | None,
        hunter_id: int,
        scan: ScanIn,
        target: _Target,
        verdict: str,
        distance_m: float | None,
        address: str | None,
    ) -> None:
        db = self._pool if conn is None else conn
        await record_refusal(
            db, hunter_id, scan, target.hunt, target.clue, verdict, distance_m, address
        )

    def _answer(self, row: asyncpg.Record, target: _Target, rank: int) -> dict[str, Any]:
        assert target.clue is not None
        collectible = self._catalog.collectibles[target.clue.collectible_id]
        return {
            "find": {
                "id": row["find_id"],
                "clue_id": target.clue.id,
                "collectible": {
                    "key": collectible.key,
                    "name": collectible.name,
                    "episode": collectible.episode,
                },
                "found_at": iso(row["found_at"]),
                "mint": {"status": row["mint_status"]},
            },
            "score": row["score"],
            "rank": rank,
        }
