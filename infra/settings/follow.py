"""What `geohunt follow` reads of the chain, and how often."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.settings.values import integer, number


@dataclass(frozen=True)
class FollowSettings:
    """How `geohunt follow` reads the contract's Transfer events."""

    # Blocks (the including one counts) before an event is counted: a block that may still be
    # reorganised away is not read yet.
    confirmations: int = 3
    # Blocks per eth_getLogs request: public nodes cap the range of one request.
    block_span: int = 2000
    poll_s: float = 2.0
    # Where to start when no deployment block is recorded and no cursor is stored yet.
    from_block: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FollowSettings:
        return cls(
            confirmations=integer(env, "FOLLOW_CONFIRMATIONS", cls.confirmations, 1, 1000),
            block_span=integer(env, "FOLLOW_BLOCK_SPAN", cls.block_span, 1, 100_000),
            poll_s=number(env, "FOLLOW_POLL_S", cls.poll_s, 0.05, 600),
            from_block=integer(env, "FOLLOW_FROM_BLOCK", cls.from_block, 0, 2**62),
        )
