"""Every SQL statement chain/ runs: the mint outbox and ledger (mint_store.py), the Transfer
follower (follower.py) and the recorded deployments (deployments.py). Each constant is one
whole statement."""

# --- the mint outbox and transaction ledger (mint_store.py) --------------------------------

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

# --- swap jobs (swap_store.py): accepted swaps of the offer book (migration 0012) -----------

# Up to $4 of the oldest accepted swaps of this contract that are still $3 seconds from their
# deadline (each one transaction). Rows not taken are not locked.
CLAIM_SWAPS_SQL = """
SELECT id, maker, taker, give_token_id, want_token_id, deadline_s, nonce, offer_hash,
    maker_signature, taker_signature
FROM swaps
WHERE status = 'accepted' AND chain_id = $1 AND contract = $2
  AND deadline_s > extract(epoch FROM now()) + $3
ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED
"""
# Several swap batches stored in one statement, before anything is broadcast, as mints are
# (STORE_BATCHES_SQL): each batch (its nonce $4 and signed transaction, hash $5, raw $6, fees $7
# and $8) names its swap $9, whose two token ids (give $10, want $11) it carries, and the swap is
# `submitted` with that transaction. Each batch's id and its transaction's signed_at, in nonce
# order.
STORE_SWAP_BATCHES_SQL = """
WITH given AS (
    SELECT nonce, hash, raw, max_fee, priority, swap_id, give_id, want_id
    FROM unnest($4::bigint[], $5::text[], $6::bytea[], $7::numeric[], $8::numeric[],
        $9::bigint[], $10::bigint[], $11::bigint[])
        AS g(nonce, hash, raw, max_fee, priority, swap_id, give_id, want_id)
), batches AS (
    INSERT INTO mint_batches (signer, chain_id, contract, nonce, token_ids, swap_id)
    SELECT $1, $2, $3, g.nonce, ARRAY[g.give_id, g.want_id], g.swap_id
    FROM given g ORDER BY g.nonce
    RETURNING id, nonce
), txs AS (
    INSERT INTO mint_txs (hash, batch_id, raw, max_fee_per_gas, max_priority_fee_per_gas)
    SELECT g.hash, b.id, g.raw, g.max_fee, g.priority
    FROM given g JOIN batches b ON b.nonce = g.nonce
    RETURNING batch_id, signed_at
), submitted AS (
    UPDATE swaps s SET status = 'submitted', tx_hash = g.hash, updated_at = now()
    FROM given g WHERE s.id = g.swap_id AND s.status = 'accepted'
)
SELECT b.id, x.signed_at FROM batches b JOIN txs x ON x.batch_id = b.id ORDER BY b.nonce
"""
# Claimed swaps the contract would refuse now (ids $1, errors $2): failed before any
# transaction was signed for them.
SWAPS_REFUSED_SQL = """
UPDATE swaps s SET status = 'failed', error = r.error, updated_at = now(), settled_at = now()
FROM unnest($1::bigint[], $2::text[]) AS r(id, error)
WHERE s.id = r.id AND s.status = 'accepted'
"""
# A replacement at higher fees: the swap names its newest transaction.
SWAP_TX_SQL = """
UPDATE swaps SET tx_hash = $2, updated_at = now() WHERE id = $1 AND status = 'submitted'
"""
# Settled: 'completed' or 'failed' (with its error), from the statuses $5.
SWAP_SETTLED_SQL = """
UPDATE swaps SET status = $2, error = $3, tx_hash = COALESCE($4, tx_hash), updated_at = now(),
    settled_at = now()
WHERE id = $1 AND status = ANY($5::text[])
"""
# Its nonce went to a transaction not ours and the chain shows the offer unused: accepted
# again, for a new batch.
SWAP_REQUEUED_SQL = """
UPDATE swaps SET status = 'accepted', tx_hash = NULL, updated_at = now()
WHERE id = $1 AND status = 'submitted'
"""
PENDING_SWAPS_SQL = """
SELECT id, maker, taker, give_token_id, want_token_id, deadline_s, nonce, offer_hash,
    maker_signature, taker_signature
FROM swaps WHERE id = ANY($1::bigint[])
"""
# Unsent swaps of this contract past their deadline (inclusive, as on chain): before
# acceptance `expired`, accepted `failed` with `expired`. How many.
EXPIRE_SWAPS_SQL = """
WITH expired AS (
    UPDATE swaps SET
        status = CASE WHEN status = 'accepted' THEN 'failed' ELSE 'expired' END,
        error = CASE WHEN status = 'accepted' THEN 'expired' END,
        updated_at = now(), settled_at = now()
    WHERE status IN ('awaiting_maker_signature', 'open', 'accepted')
      AND deadline_s < extract(epoch FROM now())
      AND chain_id = $1 AND contract = $2
    RETURNING 1
)
SELECT count(*) FROM expired
"""

# --- the Transfer follower (follower.py) ---------------------------------------------------

CURSOR_SQL = """
SELECT next_block FROM chain_cursors WHERE chain_id = $1 AND contract = $2
"""
# $3 is the follower's start block; a cursor already there stays.
CREATE_CURSOR_SQL = """
INSERT INTO chain_cursors (chain_id, contract, next_block) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""
# Held until the step commits: a second follower on the same contract waits, then sees the
# cursor moved.
CURSOR_FOR_UPDATE_SQL = """
SELECT next_block FROM chain_cursors WHERE chain_id = $1 AND contract = $2
FOR UPDATE
"""
# Each event once, keyed by (block, log index): only the rows returned are new.
STORE_TRANSFERS_SQL = """
INSERT INTO token_transfers
    (chain_id, contract, block_number, log_index, tx_hash, token_id, from_addr, to_addr)
SELECT $1, $2, t.block_number, t.log_index, t.tx_hash, t.token_id, t.from_addr, t.to_addr
FROM unnest($3::bigint[], $4::integer[], $5::text[], $6::bigint[], $7::text[], $8::text[])
    AS t(block_number, log_index, tx_hash, token_id, from_addr, to_addr)
ON CONFLICT DO NOTHING
RETURNING block_number, log_index
"""
MOVE_HOLDER_SQL = """
INSERT INTO token_holders AS h (chain_id, contract, token_id, owner, transfers, block_number)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (chain_id, contract, token_id) DO UPDATE
SET owner = EXCLUDED.owner, transfers = h.transfers + EXCLUDED.transfers,
    block_number = EXCLUDED.block_number
"""
# Unsent offers (migration 0012) one of whose tokens moved after they were made (in a block
# after the one their holders were read at) to anyone but the party that offered it: failed,
# `token_moved`. The swap's own transfers come only after it was sent, so never close it.
CLOSE_MOVED_SWAPS_SQL = """
UPDATE swaps s SET status = 'failed', error = 'token_moved', updated_at = now(),
    settled_at = now()
FROM unnest($3::bigint[], $4::text[], $5::bigint[]) AS t(token_id, to_addr, block_number)
WHERE s.chain_id = $1 AND s.contract = $2
  AND s.status IN ('awaiting_maker_signature', 'open', 'accepted')
  AND t.block_number > s.created_block
  AND ((s.give_token_id = t.token_id AND t.to_addr <> s.maker)
       OR (s.want_token_id = t.token_id AND t.to_addr <> s.taker))
"""
ADVANCE_CURSOR_SQL = """
UPDATE chain_cursors SET next_block = $3, updated_at = now()
WHERE chain_id = $1 AND contract = $2
"""

# --- recorded deployments (deployments.py; `geohunt chain deploy` records them) ------------

# The latest deployment on chain $1.
RECORDED_CONTRACT_SQL = """
SELECT address FROM chain_deployments WHERE chain_id = $1 ORDER BY id DESC LIMIT 1
"""
RECORD_DEPLOYMENT_SQL = """
INSERT INTO chain_deployments (chain_id, address, base_uri, block_number) VALUES ($1, $2, $3, $4)
"""
DEPLOYED_BLOCK_SQL = """
SELECT block_number FROM chain_deployments
WHERE chain_id = $1 AND lower(address) = $2 AND block_number IS NOT NULL
ORDER BY id DESC LIMIT 1
"""
