"""`geohunt demo`, the README's first command, run as a newcomer runs it: one process that
migrates, starts its own chain, seeds the hunt through its API, prints the guide and serves the
fan app until Ctrl-C. Only the database and Redis are given (a database of the test's own, a Redis
prefix of its own); the secret is the demo's dev secret, kept in a state folder of the test's."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import aiohttp

from infra.settings import Settings
from server.demo import data as demo_data
from tests.support.processes import GEOHUNT, free_port

BOUND_S = 180.0  # a bound against hanging (anvil, a deployment, two mints), never a measurement


async def _line_with(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        assert line, "the demo stopped before serving:\n" + "".join(seen[-40:])
        seen.append(line)
        if marker in line:
            return


async def test_the_demo_seeds_serves_the_fan_app_and_stops_on_ctrl_c(
    settings: Settings, own_database: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": own_database,
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_REDIS_PREFIX": f"geohunt-demo-{uuid.uuid4().hex[:8]}:",
        "GEOHUNT_STATE_DIR": str(tmp_path / "state"),
    }
    out = tmp_path / "qr"
    with (tmp_path / "demo.log").open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            GEOHUNT, "demo", "--port", str(port), "--out", str(out),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=log, start_new_session=True,
        )  # fmt: skip
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        await asyncio.wait_for(_line_with(proc.stdout, "Serving on", seen), BOUND_S)
        guide = "".join(seen)
        # The showcase hunter's two finds were minted on the demo's own chain before it served.
        assert guide.count(": minted, 0x") == 2, guide[-3000:]
        assert any(out.iterdir())  # the printable codes

        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/") as page:
                assert page.status == 200 and page.content_type == "text/html"
                csp = page.headers["Content-Security-Policy"]
                assert "default-src 'none'" in csp and "unsafe-inline" not in csp
            async with session.get(f"{base}/v1/hunts/{demo_data.SLUG}") as hunt:
                assert hunt.status == 200 and len((await hunt.json())["collectibles"]) == 9
            async with session.get(f"{base}/metrics") as metrics:
                text = await metrics.text()
        # Serving, the demo leaves its start-up heap out of garbage collection, as `serve` does.
        frozen = [x for x in text.splitlines() if x.startswith("geohunt_heap_frozen_objects")]
        assert len(frozen) == 1 and float(frozen[0].split()[1]) > 10_000, frozen

        proc.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(proc.communicate(), BOUND_S)
        assert proc.returncode == 0, (tmp_path / "demo.log").read_text()[-3000:]
        assert "geohunt demo: stopped" in rest.decode()
    finally:
        if proc.returncode is None:
            # The demo's own anvil is its child: a failed test takes the whole group down.
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
