"""The scans of the live-push benchmark: an open loop on a fixed timetable, alternating between
the server processes, every scan a new find; when each 201 was read."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from bench import loadgen, seed


@dataclass
class ScanLog:
    accepted: dict[int, float] = field(default_factory=dict)  # find id -> when its 201 was read
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # from each scan's due time


async def scan_load(
    ports: list[int], plan: seed.ScanPlan, first: int, rate: float, seconds: float, per: int
) -> ScanLog:
    """Scans at a fixed timetable, alternating between the servers; each a new find."""
    log = ScanLog()
    pools: dict[int, asyncio.Queue[loadgen.Connection]] = {}
    for port in ports:
        pools[port] = asyncio.Queue()
        for _ in range(per):
            pools[port].put_nowait(await loadgen.Connection.open(port))
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, due: float) -> None:
        port = ports[i % len(ports)]
        token, body = plan.request(first + i)
        data = loadgen.http_request(
            "POST", "/v1/scans", port, f"Authorization: Bearer {token}\r\n", body
        )
        conn = await pools[port].get()
        try:
            status, answer = await conn.answer(data)
            now = time.perf_counter()
            log.statuses[status] += 1
            log.latencies_ms.append((loop.time() - due) * 1000)
            if status == 201:
                log.accepted[json.loads(answer)["find"]["id"]] = now
        except (OSError, asyncio.IncompleteReadError, ValueError):
            log.errors += 1
            conn = await loadgen.Connection.open(port)
        finally:
            pools[port].put_nowait(conn)

    tasks = []
    for i in range(total):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    for pool in pools.values():
        while not pool.empty():
            pool.get_nowait().close()
    return log
