"""A primary and its streaming replica, both clusters of the test's own
(tests/support/postgres.py), and what tests do to them: wait until the replica streams or has
replayed everything, pause and resume its replay."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.database import fetchval
from tests.support.minting import wait_until
from tests.support.postgres import PostgresCluster

BOUND_S = 30.0  # a bound against hanging, never a measurement


@dataclass
class Pair:
    primary: PostgresCluster
    replica: PostgresCluster
    database: str = "postgres"

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary.port}/{self.database}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica.port}/{self.database}"


async def streaming(pair: Pair) -> None:
    """Until the primary has a standby streaming from it."""

    async def check() -> bool:
        n = await fetchval(
            pair.primary_url, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        )
        return bool(n)

    await wait_until(check, BOUND_S, "the replica streams from the primary")


async def replayed(pair: Pair) -> None:
    """Until the replica has replayed everything the primary has written by now."""
    target = await fetchval(pair.primary_url, "SELECT pg_current_wal_lsn()")

    async def check() -> bool:
        return bool(
            await fetchval(pair.replica_url, "SELECT pg_last_wal_replay_lsn() >= $1", target)
        )

    await wait_until(check, BOUND_S, "the replica replays what the primary wrote")


async def pause_replay(pair: Pair) -> None:
    await fetchval(pair.replica_url, "SELECT pg_wal_replay_pause()")

    async def check() -> bool:
        return await fetchval(pair.replica_url, "SELECT pg_get_wal_replay_pause_state()") == (
            "paused"
        )

    await wait_until(check, BOUND_S, "replay paused")


async def resume_replay(pair: Pair) -> None:
    await fetchval(pair.replica_url, "SELECT pg_wal_replay_resume()")
