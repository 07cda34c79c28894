"""The answer of `GET /v1/app/config`: what the web apps need to know of this server."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AppConfigOut(BaseModel):
    chain_id: int | None = Field(
        description="The EIP-155 id of the chain finds are minted on; null when this server has"
        " no chain (CHAIN_RPC_URL unset) or cannot reach it now"
    )
    demo_wallet_key: str | None = Field(
        pattern=r"^0x[0-9a-f]{64}$",
        description="`geohunt demo` only: a public test key (one of anvil's) the fan app may"
        " sign in with; anyone has it, so it must never hold anything of value. Null elsewhere",
    )
    tile_url: str | None = Field(
        None,
        description="The console map's tile server, a URL template with {z}, {x} and {y}"
        " (GEOHUNT_TILE_URL); present only when one is configured: without it the console"
        " draws its map with no tiles",
    )
