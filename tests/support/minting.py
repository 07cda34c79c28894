"""Shared pieces of the minting tests: a database of their own (the worker mints every queued
job it sees, so each test keeps its queue to itself), chain-aware settings, a worker running
in-process or as a `geohunt worker` process, and what the chain says about tokens.

Its fixtures (`mint_settings`, `mint_api`) are registered for the whole suite by tests/conftest.py
(`pytest_plugins`); test modules import only its functions."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from web3 import AsyncWeb3

from chain.anvil import AnvilProcess
from chain.artifact import load_artifact
from chain.minter import TRANSFER_TOPIC
from infra.settings import MintSettings, Settings
from server.app import create_app
from server.bootstrap.chain_jobs import run_worker
from tests.support.api import TEST_SECRET, Api
from tests.support.builders import TIMES_SQUARE, at
from tests.support.processes import GEOHUNT

FAST_MINT = MintSettings(
    batch_max=20, max_in_flight=4, poll_s=0.2, receipt_poll_s=0.05, replace_after_s=30.0
)


@pytest.fixture
def mint_settings(
    settings: Settings,
    own_database: str,
    anvil: AnvilProcess,
    collectible: str,
    minter_account: tuple[str, str],
) -> Settings:
    """The session's settings on a database of the test's own and the test's own collectible."""
    return chain_settings(settings, own_database, anvil.url, collectible, minter_account[1])


@pytest.fixture
async def mint_api(mint_settings: Settings, aiohttp_client: Any) -> Api:
    # mint_settings first: its database must outlive the app, which is closed before it.
    return Api(await aiohttp_client(create_app(mint_settings)), mint_settings)


def token(w3: AsyncWeb3, address: str) -> Any:
    """The GeohuntCollectible at `address`."""
    return w3.eth.contract(address=address, abi=load_artifact().abi)


async def scan(api: Api, hunt: Any, headers: dict[str, str]) -> dict[str, Any]:
    """A find of a new billboard clue of `hunt`, scanned on the spot by this hunter."""
    clue = await hunt.clue()
    payload = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    _, body = await api.call("POST", "/v1/scans", 201, headers=headers, json=payload)
    return body["find"]  # type: ignore[no-any-return]


def chain_settings(
    settings: Settings,
    database_url: str,
    rpc_url: str,
    contract: str,
    key: str | tuple[str, ...],
    **mint: Any,
) -> Settings:
    """Settings minting on this chain and contract with `key` (one, or several)."""
    return dataclasses.replace(
        settings,
        database_url=database_url,
        chain_rpc_url=rpc_url,
        minter_private_keys=(key,) if isinstance(key, str) else key,
        contract_address=contract,
        mint=dataclasses.replace(FAST_MINT, **mint),
    )


@contextlib.asynccontextmanager
async def worker_task(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def worker_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url and settings.redis_url and settings.chain_rpc_url
    assert settings.minter_private_key and settings.contract_address
    mint = settings.mint
    return {
        **os.environ,
        "GEOHUNT_SECRET": TEST_SECRET,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "CHAIN_RPC_URL": settings.chain_rpc_url,
        # One key as MINTER_PRIVATE_KEY, several as MINTER_PRIVATE_KEYS: both forms are used.
        **minter_keys_env(settings.minter_private_keys),
        "CONTRACT_ADDRESS": settings.contract_address,
        "MINT_BATCH_MAX": str(mint.batch_max),
        "MINT_MAX_IN_FLIGHT": str(mint.max_in_flight),
        "MINT_POLL_S": str(mint.poll_s),
        "MINT_RECEIPT_POLL_S": str(mint.receipt_poll_s),
        "MINT_REPLACE_AFTER_S": str(mint.replace_after_s),
        "CHAIN_RPC_TIMEOUT_S": "3",
    }


def minter_keys_env(keys: tuple[str, ...]) -> dict[str, str]:
    if len(keys) == 1:
        return {"MINTER_PRIVATE_KEY": keys[0], "MINTER_PRIVATE_KEYS": ""}
    return {"MINTER_PRIVATE_KEYS": ",".join(keys), "MINTER_PRIVATE_KEY": ""}


class WorkerProcess:
    """`geohunt worker` (or another chain command) in its own process, its log in a file."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        command: str = "worker",
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = worker_env(settings) | (env or {})
        self.command = command
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [GEOHUNT, self.command],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 60.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


async def job_counts(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM mint_jobs GROUP BY status")
    finally:
        await conn.close()
    return {r["status"]: r["n"] for r in rows}


async def all_minted(database_url: str, expected: int) -> bool:
    counts = await job_counts(database_url)
    return counts.get("minted", 0) == expected and sum(counts.values()) == expected


async def transfers_from_zero(w3: AsyncWeb3, contract: str) -> Counter[int]:
    """How many times each token id was minted (Transfer from the zero address)."""
    logs = await w3.eth.get_logs(
        {
            "address": AsyncWeb3.to_checksum_address(contract),
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [TRANSFER_TOPIC, "0x" + "00" * 32],
        }
    )
    return Counter(int.from_bytes(bytes(log["topics"][3]), "big") for log in logs)


async def seed_finds(
    database_url: str, hunt_id: int, collectible_id: int, clue_id: int, wallets: list[str]
) -> list[int]:
    """One hunter per wallet, each with one find taken through claim_find (find and mint job
    in one transaction, as a scan does)."""
    conn = await asyncpg.connect(database_url)
    try:
        hunters = await conn.fetch(
            "INSERT INTO hunters (wallet) SELECT unnest($1::text[]) RETURNING id",
            [w.lower() for w in wallets],
        )
        finds = []
        for row in hunters:
            answer = await conn.fetchrow(
                "SELECT * FROM claim_find($1, 0, $2, $3, $4, NULL, NULL, NULL, NULL, NULL,"
                " NULL, NULL)",
                row["id"],
                hunt_id,
                collectible_id,
                clue_id,
            )
            assert answer["verdict"] == "accepted", answer
            finds.append(answer["find_id"])
    finally:
        await conn.close()
    return finds


# n new hunters with wallets of their own, one find each through claim_find (the find and its
# mint job), all in one statement: their jobs become visible at one commit.
CLAIM_MANY_SQL = """
WITH h AS (
    INSERT INTO hunters (wallet)
    SELECT '0x' || substr(md5(random()::text) || md5(random()::text), 1, 40)
    FROM generate_series(1, $4)
    RETURNING id
)
SELECT (claim_find(h.id, 0, $1, $2, $3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)).find_id
FROM h
"""


async def seed_many_finds(
    database_url: str, hunt_id: int, collectible_id: int, clue_id: int, n: int
) -> list[int]:
    """n finds by n new hunters with random wallets, committed at once (thousands in seconds,
    where `seed_finds` takes a round trip each)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(CLAIM_MANY_SQL, hunt_id, collectible_id, clue_id, n)
    finally:
        await conn.close()
    finds = [r[0] for r in rows]
    assert len(finds) == n and None not in finds
    return finds


async def seed_hunt(database_url: str) -> tuple[int, int, int]:
    """A hunt with one unlimited collectible and one billboard clue, written directly."""
    conn = await asyncpg.connect(database_url)
    try:
        slug = "mint-" + uuid.uuid4().hex[:8]
        hunt = await conn.fetchval(
            "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ($1,"
            " 'Mint test', now() - interval '1 day', now() + interval '1 day', 'test')"
            " RETURNING id",
            slug,
        )
        collectible = await conn.fetchval(
            "INSERT INTO collectibles (hunt_id, key, name, image_url)"
            " VALUES ($1, 'scene', 'Scene', 'https://img.test/scene.png') RETURNING id",
            hunt,
        )
        clue = await conn.fetchval(
            "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by)"
            " VALUES ($1, $2, 'social', 'Post', 'test') RETURNING id",
            hunt,
            collectible,
        )
    finally:
        await conn.close()
    return hunt, collectible, clue
