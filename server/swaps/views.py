"""A swap as its parties see it: the stored row made into the answer, and who may see it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hunt_engine.swaps import Offer, Status, typed_data


def offer_of(row: Mapping[str, Any]) -> Offer:
    return Offer(
        row["maker"],
        row["taker"],
        int(row["give_token_id"]),
        int(row["want_token_id"]),
        int(row["deadline_s"]),
        int(row["nonce"]),
    )


def party_of(row: Mapping[str, Any], wallet: str | None) -> str | None:
    """ "maker" or "taker" when `wallet` may see this swap (a taker once the maker signed)."""
    if wallet is None:
        return None
    if wallet == row["maker"]:
        return "maker"
    if wallet == row["taker"] and row["status"] != Status.AWAITING_MAKER_SIGNATURE:
        return "taker"
    return None


def swap_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "maker": row["maker"],
        "taker": row["taker"],
        "give_token_id": row["give_token_id"],
        "want_token_id": row["want_token_id"],
        "give": {"hunt": row["give_hunt"], "key": row["give_key"], "name": row["give_name"]},
        "want": {"hunt": row["want_hunt"], "key": row["want_key"], "name": row["want_name"]},
        "deadline": datetime.fromtimestamp(row["deadline_s"], UTC),
        "offer_hash": row["offer_hash"],
        "typed_data": typed_data(offer_of(row), row["chain_id"], row["contract"]),
        "maker_signed": row["maker_signature"] is not None,
        "taker_signed": row["taker_signature"] is not None,
        "tx_hash": row["tx_hash"],
        "error": row["error"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
