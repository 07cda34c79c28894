"""The hint requests as measured loads: closed loops (wrk with a script of GETs, or the Python
generator) and an open loop, run through the scan-path benchmark's `Bench`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench import loadgen
from bench.loadgen import LoadResult
from bench.loads import Bench
from bench.nearby.hints import nearby_paths
from bench.nearby.options import FULL_LIMIT, NearbyOptions
from bench.wrk import Wrk

SCRIPT = r"""
local threads, count = {}, 0
statuses, j = {}, 0
local tokens, paths = {}, {}
local stride = 1

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
  for line in io.lines(os.getenv("BENCH_BODIES")) do paths[#paths + 1] = line end
end

function request()
  local i = tid + stride * j
  j = j + 1
  return wrk.format("GET", paths[i % #paths + 1], {["Authorization"] = tokens[i % #tokens + 1]})
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


class NearbyWrk(Wrk):
    """wrk with a script of GETs: path i % P with token i % H (the script's `done` is the
    scan benchmark's, so the answer is read the same way)."""

    def __init__(self, binary: str, workdir: Path, port: int, threads: int = 1) -> None:
        super().__init__(binary, workdir, port, threads)
        done = self.script.read_text().partition("function done")[2]
        self.script = workdir / "nearby.lua"
        self.script.write_text(SCRIPT + "\nfunction done" + done)


class NearbyBench:
    def __init__(self, opts: NearbyOptions, bench: Bench, slug: str) -> None:
        self.opts, self.bench = opts, bench
        self.paths = {
            "nearby": nearby_paths(slug, opts.collectibles),
            "nearby_all": nearby_paths(slug, opts.collectibles, FULL_LIMIT),
        }
        self.wrk: NearbyWrk | None = None

    @property
    def tokens(self) -> list[str]:
        return self.bench.plans["spread"].tokens

    def use_wrk(self, binary: str) -> None:
        self.wrk = NearbyWrk(binary, self.bench.stack.workdir, self.bench.server.port)
        for kind, paths in self.paths.items():
            self.wrk.write_plan(kind, self.tokens, [p.encode() for p in paths])

    def builder(self, kind: str) -> Callable[[int], bytes]:
        paths, tokens, port = self.paths[kind], self.tokens, self.bench.server.port
        requests = [
            loadgen.http_request("GET", path, port, f"Authorization: Bearer {tokens[i]}\r\n")
            for i, path in enumerate(paths)
        ]
        return lambda n: requests[n % len(requests)]

    async def closed(self, kind: str, seconds: int) -> LoadResult:
        if self.wrk is not None:
            return await self.wrk.run(kind, self.opts.connections, seconds, 0, kind)
        port = self.bench.server.port
        return await loadgen.closed_loop(port, self.builder(kind), self.opts.connections, seconds)

    async def open(self) -> LoadResult:
        return await loadgen.open_loop(
            self.bench.server.port, self.builder("nearby"), self.opts.rate, self.opts.open_duration
        )

    async def measure(self, group: str, label: str, seconds: int, kind: str) -> None:
        await self.bench.measured(group, label, lambda: self.closed(kind, seconds), 200)
