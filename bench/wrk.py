"""Closed-loop saturation with wrk (Debian's `wrk`), which costs far less CPU than any Python
client. A Lua script counts every answer by status and, for scans, builds each request from the
pair index (the same orders as `seed.pair`): thread t of T sends pairs base + t, base + t + T,
... so no pair is sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess  # noqa: S404 - fixed argument lists only
from collections import Counter
from pathlib import Path

from bench.loadgen import LoadResult

SCRIPT = r"""
local mode = os.getenv("BENCH_MODE")
local hot = os.getenv("BENCH_ORDER") == "hot"
local threads, count = {}, 0
statuses, j = {}, 0
local prebuilt, tokens, bodies, headers = nil, {}, {}, {}
local base, stride, nh, nb = 0, 1, 0, 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  base = tonumber(os.getenv("BENCH_BASE"))
  stride = tonumber(os.getenv("BENCH_THREADS"))
  headers["Content-Type"] = "application/json"
  if mode == "scan" then
    for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
    for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
    nh, nb = #tokens, #bodies
  elseif mode == "insert" then
    prebuilt = wrk.format("POST", "/bench/insert", headers, '{"n":1}')
  else
    prebuilt = wrk.format("GET", "/bench/trivial", {})
  end
end

function request()
  if prebuilt then return prebuilt end
  local i = (base + tid + stride * j) % (nh * nb)
  j = j + 1
  local h, k
  if hot then
    h, k = i % nh, math.floor(i / nh)
  else
    k = i % nb
    h = (math.floor(i / nb) + k * math.max(1, math.floor(nh / nb))) % nh
  end
  headers["Authorization"] = tokens[h + 1]
  return wrk.format("POST", "/v1/scans", headers, bodies[k + 1])
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts, maxj = {}, 0
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
    local tj = t:get("j")
    if tj > maxj then maxj = tj end
  end
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%d": %d', k, v) end
  local e = summary.errors
  local f = io.open(os.getenv("BENCH_OUT"), "w")
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "max_j": %d, "p50_us": %d, "p90_us": %d,'
    .. ' "p99_us": %d, "max_us": %d, "errors": %d, "statuses": {%s}}',
    summary.duration, summary.requests, maxj, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
  f:close()
end
"""


def find_wrk(install: bool) -> str | None:
    """wrk's path; installed with apt-get when missing, allowed and possible (root)."""
    path = shutil.which("wrk")
    apt = shutil.which("apt-get")
    if path or not install or os.geteuid() != 0 or apt is None:
        return path
    install_cmd = [apt, "install", "-y", "-q", "wrk"]
    if _quietly(install_cmd) != 0:
        _quietly([apt, "update", "-q"])
        _quietly(install_cmd)
    return shutil.which("wrk")


def _quietly(command: list[str]) -> int:
    """Run apt-get without its output or questions; its exit status."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(  # noqa: S603 - a fixed argument list
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return done.returncode


class Wrk:
    def __init__(self, binary: str, workdir: Path, port: int, threads: int = 1) -> None:
        self.binary, self.workdir, self.port, self.threads = binary, workdir, port, threads
        self.script = workdir / "bench.lua"
        self.script.write_text(SCRIPT)
        self.pid: int | None = None

    def write_plan(self, order: str, tokens: list[str], bodies: list[bytes]) -> None:
        (self.workdir / f"tokens-{order}.txt").write_text("\n".join(tokens) + "\n")
        (self.workdir / f"bodies-{order}.txt").write_bytes(b"\n".join(bodies) + b"\n")

    async def run(
        self, mode: str, connections: int, seconds: int, base: int = 0, order: str = "spread"
    ) -> LoadResult:
        """mode: trivial, insert or scan (the pairs of the plan written for `order`)."""
        out = self.workdir / f"wrk-{mode}.json"
        out.unlink(missing_ok=True)
        env = {
            **os.environ,
            "BENCH_MODE": mode,
            "BENCH_BASE": str(base),
            "BENCH_ORDER": order,
            "BENCH_THREADS": str(self.threads),
            "BENCH_TOKENS": str(self.workdir / f"tokens-{order}.txt"),
            "BENCH_BODIES": str(self.workdir / f"bodies-{order}.txt"),
            "BENCH_OUT": str(out),
        }
        proc = await asyncio.create_subprocess_exec(
            self.binary,
            f"-t{self.threads}",
            f"-c{connections}",
            f"-d{max(1, seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            f"http://127.0.0.1:{self.port}/",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.pid = proc.pid
        text, _ = await proc.communicate()
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed ({proc.returncode}): {text.decode()[-2000:]}")
        data = json.loads(out.read_text())
        result = LoadResult("wrk", "closed", data["duration_us"] / 1e6)
        result.statuses = Counter({int(k): v for k, v in data["statuses"].items()})
        result.errors = data["errors"]
        result.sent = result.completed + result.errors
        result.used = data["max_j"] * self.threads if mode == "scan" else 0
        result.latencies_ms = {
            name: round(data[f"{name}_us"] / 1000, 3) for name in ("p50", "p90", "p99", "max")
        }
        return result
