"""The WebSocket clients, in processes of their own, driven through pipes by the benchmark.

The benchmark sends the scans from its own process, so that a 201 is timed by a loop that
nothing else keeps busy; receipt and 201 times are both CLOCK_MONOTONIC, one clock for every
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.live.websocket import Receipts, WsClient, upgrade_request

DRAIN_S = 15.0  # after the last scan, how long clients may take to get everything
CONNECT_BATCH = 50


async def connect_clients(
    ports: list[int], path: str, count: int, receipts: Receipts
) -> list[WsClient]:
    loop = asyncio.get_running_loop()
    clients: list[WsClient] = []
    for start in range(0, count, CONNECT_BATCH):
        batch = []
        for n in range(start, min(count, start + CONNECT_BATCH)):
            port = ports[n % len(ports)]
            client = functools.partial(WsClient, upgrade_request(port, path), receipts)
            _, protocol = await loop.create_connection(client, "127.0.0.1", port)
            batch.append(protocol)
        await asyncio.wait_for(asyncio.gather(*(c.ready for c in batch)), 60)
        clients += batch
    return clients


async def drained(clients: list[WsClient], before: list[int], expected: int) -> float:
    """Seconds until every client has `expected` more finds than `before` (DRAIN_S at most)."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_S:
        if all(c.finds - b >= expected for c, b in zip(clients, before, strict=True)):
            break
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def client_process(pipe: Connection, ports: list[int], path: str, count: int) -> None:
    """A process of `count` clients, spread over the servers of `ports`."""
    asyncio.run(_clients(pipe, ports, path, count))


async def _clients(pipe: Connection, ports: list[int], path: str, count: int) -> None:
    receipts = Receipts()
    clients = await connect_clients(ports, path, count, receipts)
    before = [0] * len(clients)
    pipe.send(("ready", None))
    while True:
        command, argument = await asyncio.to_thread(pipe.recv)
        if command == "mark":
            before = [c.finds for c in clients]
            receipts.times.clear()
            pipe.send(("marked", None))
        elif command == "collect":
            ids: list[int] = argument
            waited = await drained(clients, before, len(ids))
            times = {i: receipts.times.get(i, []) for i in ids}
            got = [c.finds - b for c, b in zip(clients, before, strict=True)]
            pipe.send(("collected", {"times": times, "got": got, "drain_s": waited}))
        else:
            for client in clients:
                client.close()
            await asyncio.sleep(0.1)
            pipe.send(("stopped", None))
            return


class ClientProcesses:
    def __init__(self, ports: list[int], path: str, total: int, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        for k in range(processes):
            count = total // processes + (k < total % processes)
            mine, theirs = context.Pipe()
            # Rotated, so that the processes' clients together split evenly over the servers.
            rotated = ports[k % len(ports) :] + ports[: k % len(ports)]
            proc = context.Process(
                target=client_process, args=(theirs, rotated, path, count), daemon=True
            )
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def ask(self, command: str, argument: Any = None) -> list[Any]:
        for pipe in self.pipes:
            pipe.send((command, argument))
        answers = []
        for pipe in self.pipes:
            if not await asyncio.to_thread(pipe.poll, 120):
                raise RuntimeError(f"a client process did not answer {command!r}")
            answers.append((await asyncio.to_thread(pipe.recv))[1])
        return answers

    async def ready(self) -> None:
        for pipe in self.pipes:
            if not await asyncio.to_thread(pipe.poll, 180):
                raise RuntimeError("the clients did not connect")
            kind, _ = pipe.recv()
            assert kind == "ready", kind

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ask("stop"), 10)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
