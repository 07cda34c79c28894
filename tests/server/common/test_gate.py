"""The scan gate's calls sent together: on one Redis a group of scans is one call of the script,
and each scan still gets the answer it would get alone (its own keys, limit and body)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from redis.asyncio import Redis

from server.common.gate import GateResult, ScanGate, body_hash

Entry = tuple[int, int, str | None, str]  # hunter, limit, Idempotency-Key, body digest


def mix(base: int) -> list[Entry]:
    """Scans of several hunters, with and without keys, under limits that some of them meet."""
    same, other = body_hash(b"scan"), body_hash(b"another")
    return [
        (base, 2, None, same),
        (base, 2, "k1", same),  # the hunter's second scan: within its limit of 2
        (base, 2, "k2", same),  # the third: limited
        (base + 1, 100, "k1", same),  # another hunter's key of the same name: its own
        (base + 1, 100, "k1", same),  # the same key again: still running
        (base + 1, 100, "k1", other),  # ... with another body
        (base + 2, 100, None, other),
        (base + 3, 1, "a", same),
        (base + 3, 1, "b", same),  # limited
    ]


def count_scripts(redis: Redis) -> list[int]:
    """How many scans' keys each script call from now on carries (the client's own calls,
    watched on their way)."""
    sent: list[int] = []
    execute = redis.execute_command

    async def watched(*args: Any, **options: Any) -> Any:
        if args[0] in ("EVALSHA", "EVAL"):
            sent.append(sum(1 for a in args[3 : 3 + int(args[2])] if str(a).endswith(":rate")))
        return await execute(*args, **options)

    redis.execute_command = watched  # type: ignore[method-assign]
    return sent


async def enter_all(gate: ScanGate, entries: list[Entry], together: bool) -> list[GateResult]:
    if together:
        return list(await asyncio.gather(*(gate.enter(*e) for e in entries)))
    return [await gate.enter(*e) for e in entries]


async def test_a_group_in_one_call_answers_each_scan_as_alone(redis: Redis) -> None:
    gate = ScanGate(redis, f"test-gate-{secrets.token_hex(4)}")
    base = 10**12 + secrets.randbelow(10**9) * 10
    alone = await enter_all(gate, mix(base), together=False)
    gate.sizes.clear()
    sent = count_scripts(redis)
    together = await enter_all(gate, mix(base + 5), together=True)
    # The scans met before the first call went: one group, one call of the script.
    assert list(gate.sizes) == [len(together)] and sent == [len(together)]
    outcomes = [r.outcome for r in alone]
    assert outcomes == ["ok", "ok", "limited", "ok", "in_flight", "mismatch", "ok", "ok", "limited"]
    assert [r.outcome for r in together] == outcomes
    assert [r.retry_after_s > 0 for r in together] == [r.retry_after_s > 0 for r in alone]


async def test_a_group_replays_stored_answers(redis: Redis) -> None:
    gate = ScanGate(redis, f"test-gate-{secrets.token_hex(4)}")
    hunters = [10**12 + secrets.randbelow(10**9) * 10 + n for n in range(5)]
    digest = body_hash(b"scan")
    for n, hunter in enumerate(hunters):
        assert (await gate.enter(hunter, 100, "key", digest)).outcome == "ok"
        await gate.remember(hunter, "key", digest, {"find": n})
    gate.sizes.clear()
    again = await asyncio.gather(*(gate.enter(h, 100, "key", digest) for h in hunters))
    assert max(gate.sizes) > 1
    assert [(r.outcome, r.replay) for r in again] == [("replay", {"find": n}) for n in range(5)]
