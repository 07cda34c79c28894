"""What a caller may see of a moment, and a moment's row as the API shows it."""

from __future__ import annotations

from typing import Any

from hunt_engine.errors import NotFound
from hunt_engine.moments import listed_for_everyone, scene_clock
from server.http.auth import Principal, Role


def is_organiser_of(who: Principal | None, hunt: str) -> bool:
    """An organiser whose token reaches this hunt."""
    return who is not None and who.role is Role.ORGANISER and who.hunt in (None, hunt)


def is_author(who: Principal | None, author_id: int) -> bool:
    return who is not None and who.role is Role.HUNTER and who.hunter_id == author_id


def caller_hunter(who: Principal | None) -> int | None:
    return who.hunter_id if who is not None and who.role is Role.HUNTER else None


def check_visible(who: Principal | None, row: Any) -> None:
    """Everyone sees approved moments; the hunt's organisers and the author see every status.
    To anyone else a moment in another status does not exist (404, as for an unknown id)."""
    if listed_for_everyone(row["status"]):
        return
    if is_organiser_of(who, row["hunt"]) or is_author(who, row["author_id"]):
        return
    raise NotFound(f"no moment {row['id']}")


def mint_json(row: Any) -> dict[str, Any] | None:
    """The contract's `mint` object, as for finds: none before the first approval."""
    if row["token_id"] is None:
        return None
    status = row["mint_status"] or "awaiting_wallet"
    mint: dict[str, Any] = {"status": status}
    if status == "failed":
        mint["error"] = row["error"]
    if status in ("submitted", "minted"):
        mint["token_id"] = row["token_id"]
        mint["contract"] = row["contract"] or row["batch_contract"]
        mint["chain_id"] = row["chain_id"] or row["batch_chain"]
        if status == "minted":
            mint["tx_hash"] = row["tx_hash"]
    return mint


def moment_json(row: Any, base_url: str) -> dict[str, Any]:
    """A moment row (MOMENT_SQL's columns) for a caller allowed to see it (check_visible)."""
    sketch_url = None
    if row["sketch_type"] is not None:
        sketch_url = f"{base_url}/v1/moments/{row['id']}/sketch"
    return {
        "id": row["id"],
        "hunt": row["hunt"],
        "collectible": row["collectible"],
        "scene_s": row["scene_s"],
        "scene": scene_clock(row["scene_s"]),
        "title": row["title"],
        "note": row["note"],
        "sketch_url": sketch_url,
        "author": {"handle": row["author"]},
        "status": row["status"],
        "loves": int(row["loves"]),
        "loved": bool(row["loved"]),
        "token_id": row["token_id"],
        "mint": mint_json(row),
        "created_at": row["created_at"],
    }
