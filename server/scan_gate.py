"""The scan's one Redis round trip before any work: idempotent replay, rate limit, and a claim
on the idempotency key so that a retried request cannot run twice at once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

# KEYS[1] rate counter, KEYS[2] idempotency key (or "" without one)
# ARGV[1] limit per window, ARGV[2] window ms, ARGV[3] body hash, ARGV[4] claim ttl ms
_GATE = """
if KEYS[2] ~= '' then
  local stored = redis.call('GET', KEYS[2])
  if stored then
    return {'stored', stored}
  end
end
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if count > tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {'limited', tostring(ttl)}
end
if KEYS[2] ~= '' then
  redis.call('SET', KEYS[2], 'pending:' .. ARGV[3], 'PX', ARGV[4])
end
return {'ok', tostring(count)}
"""

IDEMPOTENCY_TTL_S = 24 * 3600
_CLAIM_TTL_MS = 30_000
_WINDOW_MS = 60_000


@dataclass(frozen=True, slots=True)
class GateResult:
    outcome: str  # "ok", "limited", "replay", "mismatch", "in_flight"
    retry_after_s: int = 0
    replay: dict[str, Any] | None = None


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


class ScanGate:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_GATE)

    def _idem_key(self, hunter_id: int, key: str | None) -> str:
        if key is None:
            return ""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"{self._prefix}idem:{hunter_id}:{digest}"

    async def enter(
        self, hunter_id: int, limit: int, idempotency_key: str | None, body_digest: str
    ) -> GateResult:
        idem = self._idem_key(hunter_id, idempotency_key)
        rate_key = f"{self._prefix}rate:{hunter_id}"
        kind, value = await self._script(
            keys=[rate_key, idem], args=[limit, _WINDOW_MS, body_digest, _CLAIM_TTL_MS]
        )
        kind = kind.decode() if isinstance(kind, bytes) else kind
        value = value.decode() if isinstance(value, bytes) else value
        if kind == "limited":
            return GateResult("limited", retry_after_s=max(1, -(-int(value) // 1000)))
        if kind == "stored":
            if value.startswith("pending:"):
                same = value.removeprefix("pending:") == body_digest
                return GateResult("in_flight" if same else "mismatch")
            stored = json.loads(value)
            if stored["body"] != body_digest:
                return GateResult("mismatch")
            return GateResult("replay", replay=stored["answer"])
        return GateResult("ok")

    async def remember(
        self, hunter_id: int, idempotency_key: str | None, body_digest: str, answer: dict[str, Any]
    ) -> None:
        if idempotency_key is None:
            return
        value = json.dumps({"body": body_digest, "answer": answer})
        await self._redis.set(
            self._idem_key(hunter_id, idempotency_key), value, ex=IDEMPOTENCY_TTL_S
        )

    async def release(self, hunter_id: int, idempotency_key: str | None) -> None:
        """A refused scan is not remembered: the hunter may retry it, e.g. after walking closer."""
        if idempotency_key is not None:
            await self._redis.delete(self._idem_key(hunter_id, idempotency_key))
