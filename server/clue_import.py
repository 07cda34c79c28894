"""`geohunt import-clues`: the API's import, run from a file with a progress bar."""

from __future__ import annotations

from typing import Any

import asyncpg
import click
from tqdm import tqdm

from infra.db import create_pool
from infra.settings import Settings
from server.http.auth import Principal, Role
from server.routes.clues import import_features


async def run_import(settings: Settings, slug: str, sub: str, collection: Any) -> dict[str, Any]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise click.ClickException("expected a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise click.ClickException("features must be an array")
    pool: asyncpg.Pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            hunt_id = await conn.fetchval("SELECT id FROM hunts WHERE slug = $1", slug)
            if hunt_id is None:
                raise click.ClickException(f"no hunt {slug!r}")
            who = Principal(Role.ORGANISER, sub)
            with tqdm(total=len(features), unit="feature", desc="importing") as bar:
                result = await import_features(conn, hunt_id, who, features, progress=bar)
    finally:
        await pool.close()
    result.pop("ids")
    return result
