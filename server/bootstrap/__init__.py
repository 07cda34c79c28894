"""The composition root: every entry point (serve, worker, follow, chain deploy, import-clues,
leaderboard rebuild, demo, benchmarks) builds what it needs here, and nowhere else.

- `services`: what a running server holds (`opened`), opened and closed in one place.
- `tools`: the one-shot commands' resources (a pool, a Redis client) for the CLI.
- `chain_jobs`: the minting worker, the Transfer follower and the contract's deployment.
"""
