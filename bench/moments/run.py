"""The moments benchmark's phases on one scratch stack: the hunt seeded, the server started,
the love bursts in rounds, the counts checked, then the lists."""

from __future__ import annotations

import argparse
from typing import Any

from bench.moments.load import burst, listing, love_request, one_get
from bench.moments.seed import seed
from bench.scratch import log_stderr, scratch_stack
from server.http.auth import Role, TokenIssuer

COUNTS_SQL = """
SELECT m.id, m.loves, (SELECT count(*) FROM moment_loves l WHERE l.moment_id = m.id) AS rows
FROM moments m WHERE m.id = ANY($1::bigint[])
"""


def love_plans(args: argparse.Namespace, reserved: list[int]) -> list[dict[str, Any]]:
    """Per round, hot then spread (or spread then hot in odd rounds), each on its own moments:
    love i of hot is hunter i's on the one moment, of spread hunter i's on moment i % spread.
    The rounds at `clients` connections, then (unless 0) one at `admitted` connections."""
    plans, per_round = [], 1 + args.spread
    rounds = [args.clients] * args.rounds + ([args.admitted] if args.admitted else [])
    for r, clients in enumerate(rounds):
        hot, spread = reserved[r * per_round], reserved[r * per_round + 1 : (r + 1) * per_round]
        kinds = [("hot", [hot]), ("spread", spread)][:: 1 - 2 * (r % 2)]
        plans += [{"kind": k, "round": r, "clients": clients, "moments": m} for k, m in kinds]
    return plans


def reserved_moments(args: argparse.Namespace) -> int:
    """The moments the bursts love, and one for the warm-up."""
    return int((args.rounds + (1 if args.admitted else 0)) * (1 + args.spread) + 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"config": {k: str(v) for k, v in vars(args).items()}}
    async with scratch_stack("moments") as stack:
        results["services"] = await stack.service_facts()
        log_stderr(f"seeding {args.moments:,} moments in {stack.name}")
        seeded = await seed(stack.db, args.moments, args.lovers, reserved_moments(args))
        results["seed"] = {
            "moments": seeded.moments,
            "approved": seeded.approved,
            "lovers": len(seeded.lovers),
            "seconds": round(seeded.seconds, 1),
        }
        results["server_start_s"] = round(await stack.start(), 2)
        port = stack.server.port
        issuer = TokenIssuer(stack.settings.jwt_key)
        tokens = [issuer.issue(Role.HUNTER, str(h), 3600)[0] for h in seeded.lovers]

        # Warm-up, not reported: a fifth of a hot burst on a moment of its own (the server's
        # first requests, the plans of a love).
        warm = seeded.reserved[-1]
        some = tokens[: max(len(tokens) // 5, 1)]
        await burst(port, [love_request(port, warm, t) for t in some], args.clients)
        bursts: list[dict[str, Any]] = []
        for plan in love_plans(args, seeded.reserved):
            log_stderr(f"round {plan['round']}: {plan['kind']}, {plan['clients']} at once")
            moments = plan["moments"]
            requests = [
                love_request(port, moments[i % len(moments)], t) for i, t in enumerate(tokens)
            ]
            bursts.append({**plan, **await burst(port, requests, plan["clients"])})
        results["bursts"] = [{k: v for k, v in b.items() if k != "moments"} for b in bursts]
        loved = [m for b in bursts for m in b["moments"]]
        results["pending_deltas"] = await stack.db.fetchval(
            "SELECT count(*) FROM moment_love_deltas WHERE hunt_id = $1", seeded.hunt_id
        )

        path = f"/v1/hunts/{seeded.slug}/moments?sort=loved"
        status, ms = await one_get(port, path)  # folds every love of the bursts
        results["first_list"] = {"status": status, "ms": round(ms, 1)}
        counts = await stack.db.fetch(COUNTS_SQL, loved)
        per_moment = {b["kind"]: len(tokens) // len(b["moments"]) for b in bursts}
        hot = {b["moments"][0] for b in bursts if b["kind"] == "hot"}
        expected = {r["id"]: per_moment["hot" if r["id"] in hot else "spread"] for r in counts}
        results["counts_exact"] = all(
            r["rows"] == r["loves"] == expected[r["id"]] for r in counts
        ) and len(counts) == len(loved)
        log_stderr("lists")
        one_episode = f"/v1/hunts/{seeded.slug}/moments?sort=loved&collectible={seeded.keys[0]}"
        recent = f"/v1/hunts/{seeded.slug}/moments?sort=recent"
        results["lists"] = {
            "loved": await listing(port, path, tokens, args.requests, 1),
            "loved4": await listing(port, path, tokens, args.requests, 4),
            "episode": await listing(port, one_episode, tokens, args.requests, 1),
            "recent": await listing(port, recent, tokens, args.requests, 1),
        }
    return results
