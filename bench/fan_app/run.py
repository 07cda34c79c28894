"""The fan app benchmark's phases on one scratch stack: the hunt and its fans seeded, the
server started (it serves web/dist), Lighthouse on the code page and the home page, the fans'
claims in the browser, then as many scans of other fans without it."""

from __future__ import annotations

from typing import Any

from bench import cpu
from bench.fan_app import chromium, claims, lighthouse
from bench.fan_app.bare_scans import bare_scans
from bench.fan_app.build import built_app, precached
from bench.fan_app.hunt import finds_of_billboard, seed_hunt
from bench.fan_app.options import FanAppOptions
from bench.scratch import admission_env, scratch_stack

# The pages of a first load: a fan who scanned a billboard's code, and one who opened the app.
PAGES = (("code", "/c/{code}"), ("home", "/"))


async def run(opts: FanAppOptions) -> dict[str, Any]:
    chromium.require()
    build = built_app()
    results: dict[str, Any] = {"build": build, "precached": precached(build)}
    env = admission_env(opts.queue_target_ms)
    async with scratch_stack("fanapp", keep=opts.keep_db, log=print, env=env) as stack:
        results["services"] = await stack.service_facts()
        in_browser = opts.warmup + opts.fans
        hunt = await seed_hunt(stack, opts.billboards, in_browser + opts.fans)
        results["hunt"] = {"billboards": opts.billboards, "collectible": hunt.collectible}
        await stack.start()
        folder = opts.reports or stack.workdir
        folder.mkdir(parents=True, exist_ok=True)
        results["quiet"] = await quiet(opts)
        results["lighthouse"] = {}
        for name, path in PAGES:
            url = hunt.origin + path.format(code=hunt.code)
            print(f"Lighthouse, {opts.lighthouse_runs} run(s): {url}")
            audit = await lighthouse.audit_page(url, opts.lighthouse_runs, folder, name)
            results["lighthouse"][name] = {**audit, "path": path}
        results["claims_quiet"] = await quiet(opts)
        print(f"claims by {in_browser} fans ({opts.warmup} of them a warm-up)")
        fans = hunt.fans[:in_browser]
        claimed = await claims.claims(hunt, fans, opts.warmup, opts.screenshot)
        results["claims"] = claims.summary(claimed)
        print(f"the same scan by {opts.fans} other fans, without a browser")
        results["bare"] = await bare_scans(hunt, hunt.fans[in_browser:])
        results["finds"] = await finds_of_billboard(stack, hunt)
        results["fans"] = {"browser": in_browser, "bare": len(hunt.fans) - in_browser}
    return results


async def quiet(opts: FanAppOptions) -> dict[str, float]:
    """Wait (bounded) for other jobs on the machine to stop: Lighthouse's CPU-bound timings and
    the claims share the machine's cores with them."""
    waited, busy = await cpu.wait_quiet(opts.quiet_wait_s)
    return {"waited_s": waited, "busy_pct": round(busy, 1)}
