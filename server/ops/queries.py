"""Every SQL statement the ops feature runs (routes.py and mint_metrics.py). Each constant is
one whole statement."""

# /readyz: the database answers.
PROBE_SQL = """
SELECT 1
"""

# --- mint queue gauges (mint_metrics.py) ---------------------------------------------------

# Jobs by status, plus the finds that have no job yet because their hunter has no wallet.
COUNTS_SQL = """
SELECT status, count(*) AS n FROM mint_jobs GROUP BY status
UNION ALL
SELECT 'awaiting_wallet', count(*) FROM finds f
WHERE NOT EXISTS (SELECT 1 FROM mint_jobs j WHERE j.find_id = f.id)
"""
# Seconds the oldest queued job has waited; 0 when none waits.
AGE_SQL = """
SELECT COALESCE(extract(epoch FROM now() - min(queued_at)), 0)
FROM mint_jobs WHERE status = 'queued'
"""
SIGNERS_SQL = """
SELECT signer, chain_id, local_nonce, chain_nonce, balance_wei,
       extract(epoch FROM now() - seen_at) AS seen_s
FROM mint_signers
"""
