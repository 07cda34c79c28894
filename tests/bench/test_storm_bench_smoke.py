"""The scan-storm benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), and its durability check counts what it
says on a real database."""

from __future__ import annotations

import re
from pathlib import Path

from bench import seed, storm
from bench.scratch import scratch_stack
from bench.storm.run import Options, Storm
from tests.support.bench import run_quick


def test_quick_storm_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.storm", (storm.BEGIN, storm.END), tmp_path)
    # A row for the capacity and one per multiple of it, each with what it was answered.
    assert "| capacity (32 connections, closed) | closed |" in text
    for label in ("1x", "2x", "5x"):
        row = re.search(rf"^\| {label} \| [\d,]+ \| [\d,]+ \| (?P<answers>[^|]+) \|", text, re.M)
        assert row is not None, label
        assert re.fullmatch(r"[\d,]+ x 201(, [\d,]+ x 503)?", row["answers"].strip()), row
    # Every target has its row; the quick run's 201s were all found in the database.
    assert text.count("| **met** |") + text.count("| **missed** |") == 8
    durable = re.search(r"\| every 201 durable [^|]*\| ([\d,]+) of ([\d,]+) found", text)
    assert durable is not None and durable[1] == durable[2] and durable[1] != "0"
    assert "finds without an answer that explains them | **met** |" in text


async def test_durability_check_counts_missing_finds_and_those_of_clients_that_gave_up() -> None:
    async with scratch_stack("stormcheck") as stack:
        plan = await seed.seed_hunt(stack.db, stack.settings, 3)
        await seed.add_hunters(stack.db, stack.settings, plan, 4)
        checker = Storm(Options(), stack, plan)
        await checker.write_plan()
        clues = await stack.db.fetch(
            "SELECT id, collectible_id FROM clues WHERE hunt_id = $1", plan.hunt_id
        )
        by_collectible = {r["collectible_id"]: r["id"] for r in clues}

        async def find(index: int) -> int:
            """A find for pair `index` of the plan, as an accepted scan leaves one."""
            h, c = seed.pair(index, len(plan.tokens), len(plan.bodies), "spread")
            collectible = checker.collectible_ids[c]
            return int(
                await stack.db.fetchval(
                    "INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at)"
                    " VALUES ($1, $2, $3, $4, now()) RETURNING id",
                    plan.hunter_ids[h],
                    plan.hunt_id,
                    collectible,
                    by_collectible[collectible],
                )  # fmt: skip
            )

        answered = [await find(0), await find(1)]
        gave_up = await find(2)  # its client gave up, the scan was claimed all the same
        await find(5)  # a find no answer accounts for (its request was refused)
        result = {
            "find_ids": [*answered, gave_up + 1000],  # one 201 whose find is not there
            "abandoned": [2, 3],  # 3 left no find
            "errors": [4],
            "finds": 4,
        }
        await checker.check(result)
        assert result == {
            "finds": 4,
            "accepted": 3,
            "accepted_distinct": 3,
            "accepted_stored": 2,
            "abandoned": 2,
            "abandoned_finds": 1,
            "errors": 1,
            "errors_finds": 0,
            "unexplained_finds": 1,
        }
