"""What a code is for, answered from memory: the code is verified as a scan verifies it
(hunt_engine.codes, hunt_engine.scan_rules) against the process's catalog, and what the catalog
does not hold (the hunt's name, the clue's label and city, the collectible's image) is read once
per clue and kept until the catalog sees one of the three change. A code shown on TV, looked up
by millions, costs no I/O after its first lookup; a forged one never costs any.

Nothing here says where a clue is: no location, geofence or distance.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from hunt_engine.codes import check_code_version, parse_code
from hunt_engine.errors import ClueNotActive, HuntNotActive, InvalidCode, ScanRejected
from hunt_engine.keys import Keyring
from hunt_engine.models import Clue, Collectible, Hunt
from hunt_engine.scan_rules import check_code_fresh, check_code_kind
from server.codes.queries import CODE_SHOWN_SQL
from server.common.catalog import Catalog


@dataclass(frozen=True, slots=True)
class _Shown:
    """One clue's answer but its time-dependent part, valid while the catalog still holds
    these very objects (the catalog replaces an object whenever its row changes)."""

    clue: Clue
    hunt: Hunt
    collectible: Collectible
    body: dict[str, Any]

    def current(self, clue: Clue, hunt: Hunt, collectible: Collectible) -> bool:
        return self.clue is clue and self.hunt is hunt and self.collectible is collectible


@dataclass(frozen=True, slots=True)
class CodeAnswer:
    body: dict[str, Any]
    # How long a shared cache may keep the answer.
    max_age_s: int


# The longest a cache may serve an answer: a clue switched off shows so within this.
MAX_AGE_S = 30


class CodeLookup:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._shown: dict[int, _Shown] = {}
        # One read per clue at a time, however many ask at once (a code just shown on TV).
        self._reading: dict[int, asyncio.Task[_Shown | None]] = {}

    async def describe(
        self, pool: asyncpg.Pool, keyring: Keyring, text: str, now: datetime
    ) -> CodeAnswer | None:
        """The answer for a code; None for anything that is not a code a fan can claim with
        (junk, a forged signature, an unknown clue, an expired or future screen code, an AR
        ticket, a code of a kind its clue never had, a printed code replaced by a reissue)."""
        try:
            code = parse_code(keyring, text)
        except InvalidCode:
            return None
        if code.kind == "ticket":
            return None
        catalog = self._catalog
        clue = await catalog.clue(pool, code.clue_id, code.version)
        if clue is None:
            return None
        hunt = catalog.hunts.get(clue.hunt_id)
        collectible = catalog.collectibles.get(clue.collectible_id)
        if hunt is None or collectible is None:
            return None
        try:
            check_code_kind(code, clue)
            check_code_version(code, catalog.code_version(clue.id))
            check_code_fresh(code, now, hunt.rules)
        except ScanRejected:  # never published, replaced (reissued), expired or future
            return None
        shown = self._shown.get(clue.id)
        if shown is None or not shown.current(clue, hunt, collectible):
            shown = await self._read(pool, clue, hunt, collectible)
            if shown is None:
                return None
        body = dict(shown.body)
        max_age = MAX_AGE_S
        reason = None
        if not hunt.is_active(now):
            reason = HuntNotActive.code
        elif not clue.is_active(now):
            reason = ClueNotActive.code
        body["active"] = reason is None
        if reason is not None:
            body["reason"] = reason
        if code.step is not None:
            # Accepted during its step and the next (hunt_engine.codes.check_step).
            rotate_s = hunt.rules.rotate_s
            left = (code.step + 2) * rotate_s - now.timestamp()
            body["expires_in_s"] = round(left, 3)
            max_age = min(max_age, int(left))
        return CodeAnswer(body, max_age)

    async def _read(
        self, pool: asyncpg.Pool, clue: Clue, hunt: Hunt, collectible: Collectible
    ) -> _Shown | None:
        task = self._reading.get(clue.id)
        if task is None:
            task = asyncio.create_task(self._fetch(pool, clue, hunt, collectible))
            self._reading[clue.id] = task
            task.add_done_callback(lambda _: self._reading.pop(clue.id, None))
        # Shielded: a caller that goes away does not cancel the read the others wait for.
        return await asyncio.shield(task)

    async def _fetch(
        self, pool: asyncpg.Pool, clue: Clue, hunt: Hunt, collectible: Collectible
    ) -> _Shown | None:
        # The objects are those of before the read: if the catalog replaces one meanwhile, the
        # entry no longer matches and the next lookup reads again.
        row = await pool.fetchrow(CODE_SHOWN_SQL, clue.id)
        if row is None:
            return None
        body = {
            "hunt": {"slug": hunt.slug, "name": row["hunt_name"]},
            "clue": {
                "id": clue.id,
                "kind": clue.kind.value,
                "label": row["label"],
                "city": row["city"],
            },
            "collectible": {
                "key": collectible.key,
                "name": collectible.name,
                "episode": collectible.episode,
                "image_url": row["image_url"],
            },
        }
        shown = _Shown(clue, hunt, collectible, body)
        self._shown[clue.id] = shown
        return shown


_LOOKUPS: weakref.WeakKeyDictionary[Catalog, CodeLookup] = weakref.WeakKeyDictionary()


def lookup_of(catalog: Catalog) -> CodeLookup:
    """The lookup of this catalog (one per server process), made at its first use."""
    lookup = _LOOKUPS.get(catalog)
    if lookup is None:
        lookup = _LOOKUPS[catalog] = CodeLookup(catalog)
    return lookup
