"""The scan's one Redis round trip before any work: idempotent replay, rate limit, and a claim
on the idempotency key so that a retried request cannot run twice at once.

The round trip is shared: a scan that finds no gate call in flight sends its own at once; the
scans that arrive while one is in flight go together in the next: one call of the gate's script
for all of them on one Redis (each its own keys and answer), a pipeline of one call per scan
on a cluster.

A hunter's keys share a hash tag (server/common/redis_keys.py): on a Redis Cluster each call
of the script touches one slot, and the pipeline sends each call to the node that holds it.

Without Redis (unreachable, failing, or a cluster's primary failing over) scans go on: the
same rules run in this process's memory (`LocalGate`), so the rate limit becomes a per-process
limit and an Idempotency-Key replays only through the process that answered it first. A retry
that reaches another process runs again, and the database refuses the second find
(`already_found`): no double find, only a 409 where a replay would have been a 200.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from infra.redis_client import REDIS_FAILURES, RedisClient, guarded, is_cluster
from infra.redis_health import CALL_TIMEOUT_S, RedisHealth
from infra.redis_scripts import ScriptCall, register_script, run_script
from server.common.coalescer import Coalescer
from server.common.redis_keys import idempotency_key, rate_key

# The gates of a group of scans. Per scan, ARGV: the number of its keys (1 or 2), its limit per
# window, the window in ms, its body's hash, the idempotency claim's ttl in ms; KEYS: its rate
# counter, then its idempotency key when it has one (no empty name is ever sent as a key). On
# one Redis the whole group is one call; on a cluster each call holds one hunter's keys (one
# slot). The answer: one {outcome, value} pair per scan, in order.
_GATE = """
local function gate(rate, idem, limit, window, hash, ttl)
  if idem then
    local stored = redis.call('GET', idem)
    if stored then
      return {'stored', stored}
    end
  end
  local count = redis.call('INCR', rate)
  if count == 1 then
    redis.call('PEXPIRE', rate, window)
  end
  if count > tonumber(limit) then
    local left = redis.call('PTTL', rate)
    if left < 0 then
      redis.call('PEXPIRE', rate, window)
      left = tonumber(window)
    end
    return {'limited', tostring(left)}
  end
  if idem then
    redis.call('SET', idem, 'pending:' .. hash, 'PX', ttl)
  end
  return {'ok', tostring(count)}
end
local answers, k = {}, 1
for i = 1, #ARGV, 5 do
  local nkeys = tonumber(ARGV[i])
  local idem = nil
  if nkeys > 1 then
    idem = KEYS[k + 1]
  end
  answers[#answers + 1] = gate(KEYS[k], idem, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
  k = k + nkeys
end
return answers
"""

IDEMPOTENCY_TTL_S = 24 * 3600
_CLAIM_TTL_MS = 30_000
_WINDOW_MS = 60_000
# At most this many scans' gates in one pipeline.
_MAX_GROUP = 64


@dataclass(frozen=True, slots=True)
class GateResult:
    outcome: str  # "ok", "limited", "replay", "mismatch", "in_flight"
    retry_after_s: int = 0
    replay: dict[str, Any] | None = None


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


class LocalGate:
    """The gate's rules in this process's memory, bounded, for when Redis cannot be reached."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._windows: dict[int, tuple[float, int]] = {}
        # (hunter, key digest) -> (expires at, stored value as in Redis)
        self._idem: OrderedDict[tuple[int, str], tuple[float, str]] = OrderedDict()

    def enter(self, hunter_id: int, limit: int, idem: str, digest: str) -> tuple[str, str]:
        now = time.monotonic()
        if idem:
            stored = self._get(hunter_id, idem, now)
            if stored is not None:
                return "stored", stored
        start, count = self._windows.get(hunter_id, (now, 0))
        if now - start >= _WINDOW_MS / 1000:
            start, count = now, 0
        count += 1
        if len(self._windows) >= self._capacity:
            self._windows = {
                h: w for h, w in self._windows.items() if now - w[0] < _WINDOW_MS / 1000
            }
        self._windows[hunter_id] = (start, count)
        if count > limit:
            return "limited", str(int((start + _WINDOW_MS / 1000 - now) * 1000))
        if idem:
            self.put(hunter_id, idem, "pending:" + digest, _CLAIM_TTL_MS / 1000)
        return "ok", str(count)

    def _get(self, hunter_id: int, idem: str, now: float) -> str | None:
        entry = self._idem.get((hunter_id, idem))
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def put(self, hunter_id: int, idem: str, value: str, ttl_s: float) -> None:
        self._idem[(hunter_id, idem)] = (time.monotonic() + ttl_s, value)
        self._idem.move_to_end((hunter_id, idem))
        while len(self._idem) > self._capacity:
            self._idem.popitem(last=False)

    def forget(self, hunter_id: int, idem: str) -> None:
        self._idem.pop((hunter_id, idem), None)


def _merged(calls: list[ScriptCall]) -> ScriptCall:
    """Scans' gate calls as one call of the script."""
    if len(calls) == 1:
        return calls[0]
    return ScriptCall(
        [key for call in calls for key in call.keys], [a for call in calls for a in call.args]
    )


class ScanGate:
    def __init__(self, redis: RedisClient, prefix: str, health: RedisHealth | None = None) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = register_script(redis, _GATE)
        self._health = health or RedisHealth()
        self.local = LocalGate()
        # The scans waiting at the same moment go in one pipeline.
        self._calls: Coalescer[ScriptCall, Any] = Coalescer(self._send, _MAX_GROUP, CALL_TIMEOUT_S)

    @property
    def sizes(self) -> deque[int]:
        """How many scans each gate call held (the last few thousand; for tests and metrics)."""
        return self._calls.sizes

    def _idem_key(self, hunter_id: int, key: str | None) -> str:
        if key is None:
            return ""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return idempotency_key(self._prefix, hunter_id, digest)

    async def enter(
        self, hunter_id: int, limit: int, idempotency_key: str | None, body_digest: str
    ) -> GateResult:
        idem = self._idem_key(hunter_id, idempotency_key)
        keys = [rate_key(self._prefix, hunter_id)] + ([idem] if idem else [])
        answer = None
        if self._health.usable():
            try:
                answer = await self._calls.call(
                    ScriptCall(keys, [len(keys), limit, _WINDOW_MS, body_digest, _CLAIM_TTL_MS])
                )
                self._health.ok()
            except REDIS_FAILURES as err:
                self._health.failed(err)
        if answer is None:
            kind, value = self.local.enter(hunter_id, limit, idem, body_digest)
        else:
            kind, value = (v.decode() if isinstance(v, bytes) else v for v in answer)
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

    async def _send(self, calls: list[ScriptCall]) -> list[Any]:
        """Every scan's gate in one round trip: on one Redis one call of the script for the
        whole group; on a cluster one call per scan (its hunter's slot), pipelined."""
        parts = [[call] for call in calls] if is_cluster(self._redis) else [calls]
        answers = await run_script(self._redis, self._script, [_merged(p) for p in parts])
        each: list[Any] = []
        for part, answer in zip(parts, answers, strict=True):
            each += [answer] * len(part) if isinstance(answer, Exception) else answer
        return each

    async def remember(
        self, hunter_id: int, idempotency_key: str | None, body_digest: str, answer: dict[str, Any]
    ) -> None:
        if idempotency_key is None:
            return
        key = self._idem_key(hunter_id, idempotency_key)
        value = json.dumps({"body": body_digest, "answer": answer})
        # Kept here too: if Redis is down now, or failed at `enter`, this process still replays.
        self.local.put(hunter_id, key, value, IDEMPOTENCY_TTL_S)
        await self._quietly(self._redis.set(key, value, ex=IDEMPOTENCY_TTL_S))

    async def release(self, hunter_id: int, idempotency_key: str | None) -> None:
        """A refused scan is not remembered: the hunter may retry it, e.g. after walking closer."""
        if idempotency_key is not None:
            key = self._idem_key(hunter_id, idempotency_key)
            self.local.forget(hunter_id, key)
            await self._quietly(self._redis.delete(key))

    async def _quietly(self, command: Any) -> None:
        """A write the scan's answer does not depend on: skipped while Redis is down."""
        if not self._health.usable():
            command.close()
            return
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                await guarded(command)
            self._health.ok()
        except REDIS_FAILURES as err:
            self._health.failed(err)
