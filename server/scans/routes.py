"""Scans, the hunter's finds and the finds' token metadata."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from hunt_engine.errors import InvalidRequest, NotFound
from hunt_engine.moments import MomentToken, is_moment_token, moment_metadata
from server.http.admission import before_claim
from server.http.auth import Role
from server.http.proxies import client_address
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.http.validation import parse_model, read_body
from server.scans.queries import FINDS_SQL, METADATA_SQL, MOMENT_METADATA_SQL
from server.scans.schemas import FindOut, ScanIn, ScanOut

TABLE = RouteTable()


IDEMPOTENCY_KEY_MAX = 200
# 1-200 printable characters (`str.isprintable`), non-ASCII as UTF-8. The pattern says the
# part a JSON Schema can: no C0 or C1 control; the rest of "printable" (no separator but the
# space, no format or unassigned character) is in the description's words.
IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": IDEMPOTENCY_KEY_MAX,
    "pattern": r"^[^\x00-\x1f\x7f-\x9f]+$",
    "description": "printable characters (Python's str.isprintable), non-ASCII as UTF-8",
}


def mint_json(row: Any) -> dict[str, Any]:
    """The contract's `mint` object: what is known of the token so far."""
    status = row["mint_status"]
    mint: dict[str, Any] = {"status": status}
    if status == "failed":
        mint["error"] = row["error"]
    if status in ("submitted", "minted"):
        mint["token_id"] = row["id"]
        mint["contract"] = row["contract"] or row["batch_contract"]
        mint["chain_id"] = row["chain_id"] or row["batch_chain"]
        if status == "minted":
            mint["tx_hash"] = row["tx_hash"]
    return mint


@TABLE.route(
    "POST",
    "/v1/scans",
    "Scan a code",
    roles={Role.HUNTER},
    ok_status=201,
    ok_schema=ScanOut,
    raw_body=ScanIn.model_json_schema(),
    errors=(400, 401, 403, 409, 413, 422, 429),
    params={
        "Idempotency-Key": {
            "in": "header",
            "required": False,
            "schema": IDEMPOTENCY_KEY_SCHEMA,
        }
    },
)
async def scan(call: Call) -> web.Response:
    services = call.services
    raw = await read_body(call.request, services.settings.max_body_bytes)
    body = parse_model(ScanIn, raw)
    key = call.request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= IDEMPOTENCY_KEY_MAX and key.isprintable()):
        raise InvalidRequest(
            f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_MAX} printable characters"
        )
    address = client_address(call.request)  # the peer, or the client a trusted proxy named
    # No claim for a client that has left, or for a scan that waited past its budget.
    before_claim(call.request)
    answer = await services.scans.scan(call.who.hunter_id, body, raw, key, address)
    return ok(answer.body, status=answer.status)


@TABLE.route(
    "GET",
    "/v1/me/finds",
    "The calling hunter's finds",
    roles={Role.HUNTER},
    ok_schema={"type": "array", "items": FindOut.model_json_schema()},
    errors=(401, 403),
)
async def my_finds(call: Call) -> web.Response:
    rows = await call.services.pool.fetch(FINDS_SQL, call.who.hunter_id)
    return ok(
        [
            {
                "id": r["id"],
                "clue_id": r["clue_id"],
                "collectible": {"key": r["key"], "name": r["name"], "episode": r["episode"]},
                "found_at": r["found_at"],
                "mint": mint_json(r),
            }
            for r in rows
        ]
    )


TokenId = Annotated[int, Field(ge=1, le=2**63 - 1)]


@TABLE.route(
    "GET",
    "/v1/tokens/{token_id}",
    "ERC-721 metadata of a find's token, or of a fans' moment's",
    errors=(400, 404),
    ok_schema={"type": "object"},
    params={
        "token_id": {
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        }
    },
)
async def token_metadata(call: Call) -> web.Response:
    token_id = int(call.request.match_info["token_id"])  # checked by the route table
    if is_moment_token(token_id):
        return await moment_token_metadata(call, token_id)
    row = await call.services.pool.fetchrow(METADATA_SQL, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    attributes: list[dict[str, Any]] = [
        {"trait_type": "Episode", "value": row["episode"] or row["name"]},
        {"trait_type": "Clue kind", "value": row["kind"]},
        {"display_type": "date", "trait_type": "Found", "value": int(row["found_at"].timestamp())},
    ]
    if row["city"]:
        attributes.insert(1, {"trait_type": "City", "value": row["city"]})
    if row["engraving"] is not None:
        attributes.append({"trait_type": "Engraving", "value": row["engraving"]})
    metadata: dict[str, Any] = {
        "name": f"{row['name']} #{row['id']}",
        "description": row["description"] or f"Found in {row['hunt_name']}.",
        "image": row["image_url"],
        "attributes": attributes,
    }
    if row["sketch_type"] is not None:
        # The holder's sketch, beside the scene's image (never in place of it).
        base = call.services.settings.public_base_url
        metadata["sketch_image"] = f"{base}/v1/tokens/{row['id']}/sketch"
    return ok(metadata)


async def moment_token_metadata(call: Call, token_id: int) -> web.Response:
    """A fans' moment's token (ids from 2^62 up, never a find's): from its first approval on,
    whatever came after; a hidden or rejected moment's without its note and sketch."""
    row = await call.services.pool.fetchrow(MOMENT_METADATA_SQL, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    token = MomentToken(
        token_id=token_id,
        status=row["status"],
        title=row["title"],
        scene_s=row["scene_s"],
        note=row["note"],
        has_sketch=row["has_sketch"],
        author=row["author"],
        collectible=row["name"],
        episode=row["episode"],
        image_url=row["image_url"],
        hunt=row["hunt_name"],
    )
    # No caching: a takedown changes what this answer shows.
    metadata = moment_metadata(token, call.services.settings.public_base_url)
    return ok(metadata, headers={"Cache-Control": "no-cache"})
