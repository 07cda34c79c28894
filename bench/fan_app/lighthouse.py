"""Lighthouse (npm `lighthouse`, pinned in package.json) on one page of the fan app: a first
load in Debian's Chromium at the phone's size, with Lighthouse's mobile throttling, storage
cleared before each run. Each report is boiled down to the scores, the paint metrics, the bytes
sent and the audits that failed."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from pathlib import Path
from typing import Any

from bench.fan_app.chromium import CHROMIUM, FLAGS, PHONE, PHONE_SCALE
from bench.scratch import REPOSITORY

LIGHTHOUSE = REPOSITORY / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {
    "fcp_ms": "first-contentful-paint",
    "lcp_ms": "largest-contentful-paint",
    "tbt_ms": "total-blocking-time",
    "cls": "cumulative-layout-shift",
    "si_ms": "speed-index",
}
CODE_TYPES = ("Script", "Stylesheet")
RUN_TIMEOUT_S = 180.0  # a bound against a hung browser, not a measurement
NODES_SHOWN = 5


def command(url: str, out: Path) -> list[str]:
    return [
        str(LIGHTHOUSE), url,
        "--output=json", f"--output-path={out}", "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        "--form-factor=mobile",
        f"--screenEmulation.width={PHONE['width']}",
        f"--screenEmulation.height={PHONE['height']}",
        f"--screenEmulation.deviceScaleFactor={PHONE_SCALE}",
        f"--chrome-flags={' '.join(FLAGS)}",
    ]  # fmt: skip


async def run_once(url: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run of `url`, its JSON report written to `out`; the report's summary."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make setup` (npm ci)")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    proc = await asyncio.create_subprocess_exec(
        *command(url, out), env=env, cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"Lighthouse did not finish {url} in {RUN_TIMEOUT_S:g} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"Lighthouse failed on {url}:\n{err.decode(errors='replace')[-3000:]}")
    return summarise(json.loads(await asyncio.to_thread(out.read_text)))


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    audits, categories = report["audits"], report["categories"]
    requests = audits["network-requests"]["details"]["items"]
    code = [r for r in requests if r.get("resourceType") in CODE_TYPES]
    settings = report["configSettings"]
    return {
        "scores": {c: _score(categories[c]["score"]) for c in CATEGORIES},
        "metrics": {name: audits[key].get("numericValue") for name, key in METRICS.items()},
        "requests": len(requests),
        "bytes": sum(int(r.get("transferSize") or 0) for r in requests),
        "js_css_bytes": sum(int(r.get("transferSize") or 0) for r in code),
        "js_css": {r["url"].rsplit("/", 1)[-1]: r.get("transferSize") for r in code},
        "failed": failed_audits(report),
        "errored": {
            a["id"]: str(a.get("errorMessage", "")).rsplit(": ", 1)[-1][:200]
            for a in audits.values()
            if a["scoreDisplayMode"] == "error"
        },
        "lighthouse": report["lighthouseVersion"],
        "screen": settings["screenEmulation"],
        "throttling": settings["throttling"],
    }


def _score(value: float | None) -> int | None:
    return None if value is None else round(100 * value)


def failed_audits(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The audits of the scored categories that count toward a score and did not pass, with
    the elements they name (for accessibility: which markup to fix)."""
    failed = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] == 0 or audit["score"] is None or audit["score"] >= 1:
                continue
            if category == "performance" and audit["scoreDisplayMode"] != "metricSavings":
                continue  # performance's score is its metrics', reported beside
            items = (audit.get("details") or {}).get("items") or []
            nodes = [i["node"] for i in items if isinstance(i.get("node"), dict)]
            failed.append({
                "category": category,
                "id": audit["id"],
                "title": audit["title"],
                "score": audit["score"],
                "nodes": [
                    {"selector": n.get("selector"), "snippet": n.get("snippet")}
                    for n in nodes[:NODES_SHOWN]
                ],
            })  # fmt: skip
    return failed


async def audit_page(url: str, runs: int, folder: Path, name: str) -> dict[str, Any]:
    """`runs` runs of one page; each run and the median of each figure over them."""
    summaries = [await run_once(url, folder / f"lighthouse-{name}-{r}.json") for r in range(runs)]
    return {"url": url, "runs": summaries, "median": median(summaries)}


def median(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The middle value of each score, metric and byte count over the runs (the lower middle
    for an even count: a value some run had); the audits that failed in any run."""

    def middle(values: list[Any]) -> Any:
        known = [v for v in values if v is not None]
        return statistics.median_low(known) if known else None

    failed = {(f["category"], f["id"]): f for s in summaries for f in s["failed"]}
    return {
        "scores": {c: middle([s["scores"][c] for s in summaries]) for c in CATEGORIES},
        "scores_min": {c: min((s["scores"][c] or 0) for s in summaries) for c in CATEGORIES},
        "metrics": {m: middle([s["metrics"][m] for s in summaries]) for m in METRICS},
        **{k: middle([s[k] for s in summaries]) for k in ("requests", "bytes", "js_css_bytes")},
        "failed": list(failed.values()),
        "errored": {a: why for s in summaries for a, why in s["errored"].items()},
    }
