"""Every SQL statement of the mint outbox and the transaction ledger (mint_store.py): jobs
claimed, batches and their signed transactions stored, sent, settled or dropped, jobs requeued
or retried, and the signer's report. swap_store.py settles its batches with the ledger's
statements here. Each constant is one whole statement."""

# The outbox has two tables: mint_jobs (finds, keyed by the find, whose id is the token id) and
# moment_mints (fans' moments, with token ids from 2^62 up, never a find's: migration 0011).
# Each statement below reads or writes both, by token id, so the worker sees one queue.

# Moments first: the few approved moments do not wait behind a backlog of finds. The finds' part
# is read only as far as the moments leave room (rows not read are not locked).
CLAIM_FRESH_SQL = """
WITH moments AS (
    SELECT token_id, wallet, attempts FROM moment_mints
    WHERE status = 'queued' AND attempts = 0
    ORDER BY token_id LIMIT $1 FOR UPDATE SKIP LOCKED
), finds AS (
    SELECT find_id AS token_id, wallet, attempts FROM mint_jobs
    WHERE status = 'queued' AND attempts = 0
    ORDER BY find_id LIMIT $1 FOR UPDATE SKIP LOCKED
)
SELECT token_id, wallet, attempts FROM moments
UNION ALL
SELECT token_id, wallet, attempts FROM finds
LIMIT $1
"""
# A job that was in a reverted batch goes alone, so one bad recipient cannot sink the others:
# up to $1 of them, each a batch of its own.
CLAIM_RETRIED_SQL = """
WITH moments AS (
    SELECT token_id, wallet, attempts FROM moment_mints
    WHERE status = 'queued' AND attempts > 0
    ORDER BY token_id LIMIT $1 FOR UPDATE SKIP LOCKED
), finds AS (
    SELECT find_id AS token_id, wallet, attempts FROM mint_jobs
    WHERE status = 'queued' AND attempts > 0
    ORDER BY find_id LIMIT $1 FOR UPDATE SKIP LOCKED
)
SELECT token_id, wallet, attempts FROM moments
UNION ALL
SELECT token_id, wallet, attempts FROM finds
LIMIT $1
"""
# Several batches stored in one statement, before anything is broadcast: each batch (the k-th,
# counted from 1: its nonce $4 and signed transaction, hash $5, raw $6, fees $7 and $8), and its
# jobs `submitted` in it (the token ids $9, each with its batch's k in $10, in batch order).
# A worker killed at any moment finds every hash it may have sent. Each batch's id and its
# transaction's signed_at, in nonce order.
STORE_BATCHES_SQL = """
WITH given AS (
    SELECT k, nonce, hash, raw, max_fee, priority
    FROM unnest($4::bigint[], $5::text[], $6::bytea[], $7::numeric[], $8::numeric[])
        WITH ORDINALITY AS g(nonce, hash, raw, max_fee, priority, k)
), tokens AS (
    SELECT token_id, k, i
    FROM unnest($9::bigint[], $10::bigint[]) WITH ORDINALITY AS t(token_id, k, i)
), batches AS (
    INSERT INTO mint_batches (signer, chain_id, contract, nonce, token_ids)
    SELECT $1, $2, $3, g.nonce,
        ARRAY(SELECT t.token_id FROM tokens t WHERE t.k = g.k ORDER BY t.i)
    FROM given g ORDER BY g.k
    RETURNING id, nonce
), placed AS (
    SELECT t.token_id, b.id AS batch_id
    FROM tokens t JOIN given g ON g.k = t.k JOIN batches b ON b.nonce = g.nonce
), txs AS (
    INSERT INTO mint_txs (hash, batch_id, raw, max_fee_per_gas, max_priority_fee_per_gas)
    SELECT g.hash, b.id, g.raw, g.max_fee, g.priority
    FROM given g JOIN batches b ON b.nonce = g.nonce
    RETURNING batch_id, signed_at
), finds AS (
    UPDATE mint_jobs j SET status = 'submitted', batch_id = p.batch_id, updated_at = now()
    FROM placed p WHERE j.find_id = p.token_id
), moments AS (
    UPDATE moment_mints m SET status = 'submitted', batch_id = p.batch_id, updated_at = now()
    FROM placed p WHERE m.token_id = p.token_id
)
SELECT b.id, x.signed_at FROM batches b JOIN txs x ON x.batch_id = b.id ORDER BY b.nonce
"""
# A transaction stored alone (a swap's, a replacement) before it is broadcast.
INSERT_TX_SQL = """
INSERT INTO mint_txs (hash, batch_id, raw, max_fee_per_gas, max_priority_fee_per_gas)
VALUES ($1, $2, $3, $4, $5) RETURNING signed_at
"""
# The first broadcast's time; a rebroadcast keeps it.
MARK_SENT_SQL = """
UPDATE mint_txs SET sent_at = COALESCE(sent_at, now()) WHERE hash = ANY($1::text[])
"""
PENDING_BATCHES_SQL = """
SELECT id, nonce, swap_id FROM mint_batches
WHERE signer = $1 AND chain_id = $2 AND status = 'pending' ORDER BY nonce
"""
PENDING_JOBS_SQL = """
SELECT batch_id, find_id AS token_id, wallet, attempts FROM mint_jobs
WHERE batch_id = ANY($1::bigint[]) AND status = 'submitted'
UNION ALL
SELECT batch_id, token_id, wallet, attempts FROM moment_mints
WHERE batch_id = ANY($1::bigint[]) AND status = 'submitted'
ORDER BY token_id
"""
# Oldest first: the last transaction of a batch is its current price.
PENDING_TXS_SQL = """
SELECT batch_id, hash, raw, max_fee_per_gas, max_priority_fee_per_gas, signed_at, sent_at
FROM mint_txs WHERE batch_id = ANY($1::bigint[])
ORDER BY signed_at, hash
"""
BATCH_MINED_SQL = """
UPDATE mint_batches SET status = 'mined', mined_hash = $2, block_number = $3,
    settled_at = now()
WHERE id = $1
"""
# Batches whose transactions succeeded (ids $1, hashes $2, blocks $3), mints and swaps alike,
# settled in one statement: the batches `mined`, their jobs `minted` (and the statement trigger
# on mint_jobs runs once for all of them), their swaps `completed`.
BATCHES_MINED_SQL = """
WITH mined AS (
    SELECT id, hash, block
    FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS m(id, hash, block)
), batches AS (
    UPDATE mint_batches b SET status = 'mined', mined_hash = m.hash, block_number = m.block,
        settled_at = now()
    FROM mined m WHERE b.id = m.id
    RETURNING b.swap_id, m.hash
), finds AS (
    UPDATE mint_jobs j SET status = 'minted', tx_hash = m.hash, contract = $4,
        chain_id = $5, minted_at = now(), updated_at = now(), error = NULL
    FROM mined m WHERE j.batch_id = m.id AND j.status = 'submitted'
), swapped AS (
    UPDATE swaps s SET status = 'completed', error = NULL, tx_hash = b.hash,
        updated_at = now(), settled_at = now()
    FROM batches b WHERE s.id = b.swap_id AND s.status = 'submitted'
)
UPDATE moment_mints j SET status = 'minted', tx_hash = m.hash, contract = $4,
    chain_id = $5, minted_at = now(), updated_at = now(), error = NULL
FROM mined m WHERE j.batch_id = m.id AND j.status = 'submitted'
"""
# A batch that did not mint: status 'reverted', or 'dropped' when its nonce was taken.
BATCH_NOT_MINED_SQL = """
UPDATE mint_batches SET status = $2, mined_hash = $3, block_number = $4,
    settled_at = now()
WHERE id = $1
"""
# One token of a reverted batch that the chain shows as the wallet's after all.
JOB_MINTED_SQL = """
WITH finds AS (
    UPDATE mint_jobs SET status = 'minted', tx_hash = $2, contract = $3,
        chain_id = $4, minted_at = now(), updated_at = now(), error = NULL
    WHERE find_id = $1 AND batch_id = $5 AND status = 'submitted'
)
UPDATE moment_mints SET status = 'minted', tx_hash = $2, contract = $3,
    chain_id = $4, minted_at = now(), updated_at = now(), error = NULL
WHERE token_id = $1 AND batch_id = $5 AND status = 'submitted'
"""
# One token of a reverted batch that did not mint: back to the queue, or failed once it has
# been tried $3 times.
JOB_NOT_MINTED_SQL = """
WITH finds AS (
    UPDATE mint_jobs SET attempts = attempts + 1, error = $2,
        status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'queued' END,
        updated_at = now()
    WHERE find_id = $1 AND batch_id = $4 AND status = 'submitted'
)
UPDATE moment_mints SET attempts = attempts + 1, error = $2,
    status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'queued' END,
    updated_at = now()
WHERE token_id = $1 AND batch_id = $4 AND status = 'submitted'
"""
DROP_BATCH_SQL = """
UPDATE mint_batches SET status = 'dropped', settled_at = now() WHERE id = $1
"""
# Back to the queue without counting an attempt: the batch never reached the chain.
REQUEUE_JOBS_SQL = """
WITH finds AS (
    UPDATE mint_jobs SET status = 'queued', updated_at = now()
    WHERE batch_id = $1 AND status = 'submitted'
)
UPDATE moment_mints SET status = 'queued', updated_at = now()
WHERE batch_id = $1 AND status = 'submitted'
"""
# The worker's report on its key, for the mint gauges; an unknown value keeps the last one.
RECORD_SIGNER_SQL = """
INSERT INTO mint_signers AS s (signer, chain_id, contract, local_nonce, chain_nonce,
    balance_wei, seen_at)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (signer, chain_id) DO UPDATE SET contract = $3,
    local_nonce = COALESCE($4, s.local_nonce), chain_nonce = COALESCE($5, s.chain_nonce),
    balance_wei = COALESCE($6, s.balance_wei), seen_at = now()
"""
# Failed jobs (all of them when $1 is NULL, else those of these token ids) requeued with a
# fresh attempt count; how many.
RETRY_FAILED_SQL = """
WITH finds AS (
    UPDATE mint_jobs SET status = 'queued', attempts = 0, error = NULL, batch_id = NULL,
        updated_at = now()
    WHERE status = 'failed' AND ($1::bigint[] IS NULL OR find_id = ANY($1::bigint[]))
    RETURNING 1
), moments AS (
    UPDATE moment_mints SET status = 'queued', attempts = 0, error = NULL, batch_id = NULL,
        updated_at = now()
    WHERE status = 'failed' AND ($1::bigint[] IS NULL OR token_id = ANY($1::bigint[]))
    RETURNING 1
)
SELECT (SELECT count(*) FROM finds) + (SELECT count(*) FROM moments)
"""
