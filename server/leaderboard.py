"""A hunt's ranking in a Redis sorted set: O(log n) rank for the scan's answer.

PostgreSQL (`hunt_scores`) holds the truth; each find writes the hunter's score as returned by
the database (ZADD, not an increment), so a lost write heals at the hunter's next find.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

# Equal scores rank by who reached them first: the earlier, the higher the sort key.
# Milliseconds since 2020 stay below 10**12 until 2051; scores up to 9,000 keep the key below
# 2**53, where doubles are exact.
_EPOCH_MS = 1_577_836_800_000
_TIME_SLOTS = 10**12


def sort_key(score: int, reached_at: datetime) -> float:
    millis = int(reached_at.timestamp() * 1000) - _EPOCH_MS
    return float(score * _TIME_SLOTS + (_TIME_SLOTS - 1 - millis))


class Leaderboard:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def key(self, hunt_id: int) -> str:
        return f"{self._prefix}lb:{hunt_id}"

    async def record(self, hunt_id: int, hunter_id: int, score: int, reached_at: datetime) -> int:
        """Store the hunter's score; return their 1-based rank."""
        key = self.key(hunt_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {str(hunter_id): sort_key(score, reached_at)})
            pipe.zrevrank(key, str(hunter_id))
            _, rank = await pipe.execute()
        return int(rank) + 1
