"""Every SQL statement chain/ runs besides the mint outbox and ledger's (those are in
chain/minting/queries.py): the swap jobs (swap_store.py, and the swaps of pending batches that
mint_store.py reads and replaces), the Transfer follower (follower.py) and the recorded
deployments (deployments.py). Each constant is one whole statement."""

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
