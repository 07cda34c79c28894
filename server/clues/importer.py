"""Importing clues from GeoJSON: every feature validated, then chunk by chunk the new sites
inserted and the known ones updated, the bad ones reported. The API's import and
`geohunt import-clues` both run this.

A feature's `id` (or `properties.ref`) names its site, kept as the clue's `ref` (unique in the
hunt): importing a file again updates the clues whose feature changed (each change kept in the
clue's history, as a PATCH keeps it) and leaves the others alone, so an import can be re-run.
A feature without one is a new clue each time it is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import click
from tqdm import tqdm

from hunt_engine.clue_rules import NewClue
from hunt_engine.errors import Conflict, HuntError
from server.clues import store as clue_store
from server.clues.queries import CLUES_BY_REFS_FOR_UPDATE_SQL, LOCK_HUNT_FOR_IMPORT_SQL
from server.common.hunts import HUNT_ID_SQL
from server.http.auth import Principal, Role


@dataclass
class ImportReport:
    """What an import did: counts, the features that failed, and the clues it wrote."""

    unchanged: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)

    def fail(self, index: int, err: HuntError) -> None:
        self.failed.append(clue_store.import_failure(index, err))

    def answer(self) -> dict[str, Any]:
        """The API's answer (and the command's report): counts, and the failures by index."""
        return {
            "created": len(self.created_ids),
            "updated": len(self.updated_ids),
            "unchanged": self.unchanged,
            "failed": sorted(self.failed, key=lambda f: f["index"]),
        }


# A feature that passed every check: its index in the file, its site, the clue it describes.
Draft = tuple[int, str | None, NewClue]


async def import_features(
    conn: Any, hunt_id: int, who: Any, features: list[Any], progress: Any = None, chunk: int = 2000
) -> dict[str, Any]:
    """Validate every feature; per chunk, in one transaction, insert the new sites and update
    the known ones that changed; report the bad ones. The API's answer, and `ids`: the clues
    created (in file order) then updated, for the catalog."""
    collectibles = await clue_store.collectible_ids(conn, hunt_id)
    report = ImportReport()
    first_of: dict[str, int] = {}  # each site's first feature: a second one is refused
    for start in range(0, len(features), chunk):
        drafts: list[Draft] = []
        for index in range(start, min(start + chunk, len(features))):
            try:
                body = clue_store.validate_feature(index, features[index])
                ref = clue_store.feature_ref(features[index])
                if ref is not None:
                    if ref in first_of:
                        raise Conflict(f"feature {first_of[ref]} names the same site {ref!r}")
                    first_of[ref] = index
                drafts.append((index, ref, clue_store.check_clue(body, who, collectibles)))
            except HuntError as err:
                report.fail(index, err)
        async with conn.transaction():
            await _write_chunk(conn, hunt_id, who, drafts, report)
        if progress is not None:
            progress.update(min(chunk, len(features) - start))
    return {**report.answer(), "ids": report.created_ids + report.updated_ids}


async def _write_chunk(
    conn: Any, hunt_id: int, who: Any, drafts: list[Draft], report: ImportReport
) -> None:
    # One import of a hunt at a time: a concurrent one waits, then finds these sites.
    await conn.execute(LOCK_HUNT_FOR_IMPORT_SQL, hunt_id)
    refs = [ref for _, ref, _ in drafts if ref is not None]
    known = {}
    if refs:
        known = {r["ref"]: r for r in await conn.fetch(CLUES_BY_REFS_FOR_UPDATE_SQL, hunt_id, refs)}
    fresh: list[NewClue] = []
    fresh_refs: list[str | None] = []
    for index, ref, clue in drafts:
        row = known.get(ref) if ref is not None else None
        if row is None:
            fresh.append(clue)
            fresh_refs.append(ref)
            continue
        try:
            changes = clue_store.import_changes(clue, row, who)
        except HuntError as err:
            report.fail(index, err)
            continue
        if not changes:
            report.unchanged += 1
            continue
        await clue_store.record_changes(conn, row["id"], who, changes)
        report.updated_ids.append(row["id"])
    report.created_ids += await clue_store.insert_clues(
        conn, hunt_id, who, fresh, "imported", fresh_refs
    )


async def import_collection(
    conn: asyncpg.Connection, slug: str, sub: str, collection: Any
) -> dict[str, Any]:
    """`geohunt import-clues`: a file's FeatureCollection into hunt `slug`, as organiser `sub`,
    with a progress bar."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise click.ClickException("expected a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise click.ClickException("features must be an array")
    hunt_id = await conn.fetchval(HUNT_ID_SQL, slug)
    if hunt_id is None:
        raise click.ClickException(f"no hunt {slug!r}")
    who = Principal(Role.ORGANISER, sub)
    with tqdm(total=len(features), unit="feature", desc="importing") as bar:
        result = await import_features(conn, hunt_id, who, features, progress=bar)
    result.pop("ids")
    return result
