"""The "Minting" section of BENCHMARKS.md: the worker with one key and with two against the bare
script, and the steady rate's find → minted times."""

from __future__ import annotations

import statistics
from typing import Any

from bench.report import met

BEGIN = "<!-- bench:minting:begin -->"
END = "<!-- bench:minting:end -->"
MIN_RATE = 500.0
MIN_RATIO = 0.80
MAX_P95_S = 3.0
# Several keys are for throughput: two must mint more than one.
MIN_KEYS_RATIO = 1.0


def section(results: dict[str, Any], command: str) -> str:
    worker = statistics.median(r["rate"] for r in results["worker"])
    bare = statistics.median(r["rate"] for r in results["bare"])
    # Each round's a and b ran back to back, under the same load from the rest of the machine.
    ratio = statistics.median(
        w["rate"] / b["rate"] for w, b in zip(results["worker"], results["bare"], strict=True)
    )
    two = statistics.median(r["rate"] for r in results["worker_2keys"])
    keys_ratio = statistics.median(
        w2["rate"] / w["rate"]
        for w, w2 in zip(results["worker"], results["worker_2keys"], strict=True)
    )
    steady = results["steady"]
    cfg = results["config"]
    rounds = ", ".join(
        f"{w['rate']:.0f} / {w2['rate']:.0f} / {b['rate']:.0f}"
        for w, w2, b in zip(
            results["worker"], results["worker_2keys"], results["bare"], strict=True
        )
    )
    per_key = " + ".join(str(n) for n in results["worker_2keys"][0]["transactions_per_key"])
    lines = [
        BEGIN,
        "## Minting",
        "",
        f"`{command}`, {results['date']}; {results['machine'].get('cpu', '')}. A fresh anvil"
        " (automine, plus a block a second for what automine leaves pending) per run, on the"
        " same machine;"
        f" batches of up to {cfg['batch']} finds, {cfg['in_flight']} transactions in flight.",
        "",
        "| | finds/s | target | |",
        "|---|---:|---:|---|",
        f"| (a) worker: queued → minted ({cfg['finds']} finds) | {worker:.0f} |"
        f" ≥ {MIN_RATE:.0f} | {met(worker >= MIN_RATE)} |",
        f"| (a2) the same worker with two keys | {two:.0f} | | |",
        f"| (b) bare script, same batches | {bare:.0f} | | |",
        f"| a / b (median of the rounds' ratios) | {ratio:.2f} | ≥ {MIN_RATIO:.2f} |"
        f" {met(ratio >= MIN_RATIO)} |",
        f"| a2 / a: two keys over one (median of the rounds' ratios) | {keys_ratio:.2f} |"
        f" > {MIN_KEYS_RATIO:.2f} | {met(keys_ratio > MIN_KEYS_RATIO)} |",
        "",
        f"Rounds (a / a2 / b, interleaved, after a warm-up round of {cfg['finds'] // 5} finds"
        f" not counted): {rounds}. Transactions per run:"
        f" {results['worker'][0]['transactions']} (worker), {per_key} (two keys),"
        f" {results['bare'][0]['transactions']} (bare).",
        "",
        f"Steady {steady['rate']:.0f} finds/s for {steady['seconds']:.0f} s ({steady['finds']}"
        f" finds): find → minted p50 {steady['p50_s']:.2f} s, p95 {steady['p95_s']:.2f} s"
        f" (target < {MAX_P95_S:.0f} s: {met(steady['p95_s'] < MAX_P95_S)}),"
        f" p99 {steady['p99_s']:.2f} s, max {steady['max_s']:.2f} s.",
        END,
    ]
    return "\n".join(lines) + "\n"
