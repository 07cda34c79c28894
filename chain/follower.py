"""`geohunt follow`: the contract's Transfer events, read into PostgreSQL.

Tokens move after their mint: a fan passes one on, or sells it. The follower reads every
Transfer of the collectible contract from a stored block cursor and keeps who holds each token
and how often it changed hands, for the organisers' ratings.

- Only blocks `FOLLOW_CONFIRMATIONS` deep are read (the including one counts), so an event in
  a block that is later reorganised away is never counted.
- A step reads one span of blocks, then stores its events, their effect on the holders and the
  new cursor in one transaction that first checks the cursor is still where the step began: a
  crash before the commit leaves nothing, a crash after it leaves the cursor past those blocks.
- An event is stored once, keyed by (block, log index), and only an event stored now moves a
  holder: a rewound cursor or a second follower on the same contract counts nothing twice.
- A token that moves closes the unsent swap offers naming it (`failed`, `token_moved`): the
  offer could only revert on chain now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from web3 import AsyncWeb3

from chain.client import ChainUnavailable, rpc
from chain.minter import TRANSFER_TOPIC
from chain.queries import (
    ADVANCE_CURSOR_SQL,
    CLOSE_MOVED_SWAPS_SQL,
    CREATE_CURSOR_SQL,
    CURSOR_FOR_UPDATE_SQL,
    CURSOR_SQL,
    MOVE_HOLDER_SQL,
    STORE_TRANSFERS_SQL,
)
from infra.settings import FollowSettings

log = logging.getLogger("geohunt.follow")

MAX_TOKEN_ID = 2**63 - 1  # token ids are find ids (bigint); anything larger is not ours


@dataclass(frozen=True, slots=True)
class Transfer:
    block_number: int
    log_index: int
    tx_hash: str
    token_id: int
    from_addr: str
    to_addr: str


def _topic_address(topic: Any) -> str:
    return "0x" + bytes(topic)[-20:].hex()


def parse_transfer(entry: Any) -> Transfer | None:
    """An ERC-721 Transfer log (three indexed topics); None for anything else, such as an
    ERC-20 Transfer, whose amount is in the data."""
    topics = entry["topics"]
    if len(topics) != 4:
        return None
    token_id = int.from_bytes(bytes(topics[3]), "big")
    if token_id > MAX_TOKEN_ID:
        return None
    tx_hash = entry["transactionHash"]
    return Transfer(
        block_number=int(entry["blockNumber"]),
        log_index=int(entry["logIndex"]),
        tx_hash=tx_hash.to_0x_hex() if hasattr(tx_hash, "to_0x_hex") else str(tx_hash),
        token_id=token_id,
        from_addr=_topic_address(topics[1]),
        to_addr=_topic_address(topics[2]),
    )


ZERO = "0x" + "00" * 20


class TransferFollower:
    def __init__(
        self,
        pool: asyncpg.Pool,
        w3: AsyncWeb3[Any],
        chain_id: int,
        contract: str,
        settings: FollowSettings,
        start_block: int,
    ) -> None:
        self.pool = pool
        self.w3 = w3
        self.chain_id = chain_id
        self.contract = contract.lower()
        self._address = AsyncWeb3.to_checksum_address(contract)
        self.settings = settings
        self.start_block = start_block

    async def cursor(self) -> int:
        stored = await self.pool.fetchval(
            CURSOR_SQL,
            self.chain_id,
            self.contract,
        )
        return self.start_block if stored is None else int(stored)

    async def step(self) -> tuple[int, int]:
        """Read the next span of confirmed blocks; (events stored, blocks left to read)."""
        head = int(await rpc(self.w3.eth.block_number))
        safe = head - (self.settings.confirmations - 1)
        begin = await self.cursor()
        if begin > safe:
            return 0, 0
        end = min(safe, begin + self.settings.block_span - 1)
        logs = await rpc(
            self.w3.eth.get_logs(
                {
                    "address": self._address,
                    "topics": [TRANSFER_TOPIC],
                    "fromBlock": begin,
                    "toBlock": end,
                }
            )
        )
        transfers = sorted(
            (t for t in map(parse_transfer, logs) if t is not None),
            key=lambda t: (t.block_number, t.log_index),
        )
        stored = await self._store(begin, end + 1, transfers)
        return stored, safe - end

    async def _store(self, begin: int, after: int, transfers: list[Transfer]) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                CREATE_CURSOR_SQL,
                self.chain_id,
                self.contract,
                self.start_block,
            )
            current = await conn.fetchval(
                CURSOR_FOR_UPDATE_SQL,
                self.chain_id,
                self.contract,
            )
            if current != begin:
                return 0  # another follower moved the cursor meanwhile: its step stands
            fresh = await conn.fetch(
                STORE_TRANSFERS_SQL,
                self.chain_id,
                self.contract,
                [t.block_number for t in transfers],
                [t.log_index for t in transfers],
                [t.tx_hash for t in transfers],
                [t.token_id for t in transfers],
                [t.from_addr for t in transfers],
                [t.to_addr for t in transfers],
            )
            new = {(r["block_number"], r["log_index"]) for r in fresh}
            moves = [
                (
                    self.chain_id,
                    self.contract,
                    t.token_id,
                    t.to_addr,
                    int(t.from_addr != ZERO),
                    t.block_number,
                )
                for t in transfers
                if (t.block_number, t.log_index) in new
            ]
            if moves:
                await conn.executemany(MOVE_HOLDER_SQL, moves)
                await conn.execute(
                    CLOSE_MOVED_SWAPS_SQL,
                    self.chain_id,
                    self.contract,
                    [m[2] for m in moves],
                    [m[3] for m in moves],
                    [m[5] for m in moves],
                )
            await conn.execute(
                ADVANCE_CURSOR_SQL,
                self.chain_id,
                self.contract,
                after,
            )
        return len(new)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until `stop` is set: catch up span by span, then poll for new blocks; a node
        that is away is waited out."""
        # Said once the process takes SIGTERM as "stop" (its handlers are set before this).
        log.info("following %s from block %d", self.contract, self.start_block)
        while not stop.is_set():
            try:
                stored, left = await self.step()
            except ChainUnavailable as err:
                log.warning("chain unavailable: %s", err)
                left = 0
            else:
                if stored:
                    log.info("stored %d transfers of %s", stored, self.contract)
            if left > 0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.poll_s)
