"""Importing clues from GeoJSON: every feature validated, the good ones inserted chunk by chunk,
the bad ones reported. The API's import and `geohunt import-clues` both run this."""

from __future__ import annotations

from typing import Any

import asyncpg
import click
from tqdm import tqdm

from hunt_engine.errors import HuntError
from server.clues import store as clue_store
from server.common.hunts import HUNT_ID_SQL
from server.http.auth import Principal, Role


async def import_features(
    conn: Any, hunt_id: int, who: Any, features: list[Any], progress: Any = None, chunk: int = 2000
) -> dict[str, Any]:
    """Validate every feature, insert the good ones chunk by chunk, report the bad ones."""
    collectibles = await clue_store.collectible_ids(conn, hunt_id)
    failed: list[dict[str, Any]] = []
    ids: list[int] = []
    for start in range(0, len(features), chunk):
        batch = []
        for index in range(start, min(start + chunk, len(features))):
            try:
                body = clue_store.validate_feature(index, features[index])
                batch.append(clue_store.check_clue(body, who, collectibles))
            except HuntError as err:
                failed.append(clue_store.import_failure(index, err))
        async with conn.transaction():
            ids += await clue_store.insert_clues(conn, hunt_id, who, batch, "imported")
        if progress is not None:
            progress.update(min(chunk, len(features) - start))
    return {"created": len(ids), "failed": failed, "ids": ids}


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
