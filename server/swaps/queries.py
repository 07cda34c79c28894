"""Every SQL statement of swaps between fans (migration 0012's offer book)."""

# The caller's wallet (NULL for a hunter who has none yet).
WALLET_SQL = """
SELECT wallet FROM hunters WHERE id = $1
"""

# The collectible of each token id: a find's token id is the find's id, a moment's is its
# token_id (2^62 + its id). Unknown ids give no row.
COLLECTIBLES_OF_TOKENS_SQL = """
SELECT f.id AS token_id, f.collectible_id FROM finds f WHERE f.id = ANY($1::bigint[])
UNION ALL
SELECT m.token_id, m.collectible_id FROM moments m WHERE m.token_id = ANY($1::bigint[])
"""

# A new offer; NULL-free but for the signatures, which come later. The unique offer hash
# refuses the same offer twice (the caller moves the deadline a second and tries again).
INSERT_SWAP_SQL = """
INSERT INTO swaps (chain_id, contract, maker, taker, maker_hunter_id, give_token_id,
    want_token_id, give_collectible_id, want_collectible_id, deadline_s, nonce, offer_hash,
    created_block)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id
"""

# A swap with what its answer shows of the two collectibles.
SWAP_SQL = """
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name
FROM swaps s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id
WHERE s.id = $1
"""

# A wallet's swaps, newest first: those it made, and those it received once their maker signed
# (an offer is the maker's alone until then).
MY_SWAPS_SQL = """
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name
FROM swaps s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id
WHERE s.maker = $1 OR (s.taker = $1 AND s.status <> 'awaiting_maker_signature')
ORDER BY s.id DESC
LIMIT $2
"""

# Unsent offers past their deadline (of swap $1, or of wallet $2's swaps, or all when both are
# NULL): before acceptance `expired`, accepted but not sent `failed` with `expired`. The
# deadline is inclusive, as on chain.
EXPIRE_DUE_SQL = """
UPDATE swaps SET
    status = CASE WHEN status = 'accepted' THEN 'failed' ELSE 'expired' END,
    error = CASE WHEN status = 'accepted' THEN 'expired' END,
    updated_at = now(), settled_at = now()
WHERE status IN ('awaiting_maker_signature', 'open', 'accepted')
  AND deadline_s < extract(epoch FROM now())
  AND ($1::bigint IS NULL OR id = $1)
  AND ($2::text IS NULL OR maker = $2 OR taker = $2)
"""

# The maker's signature: awaiting -> open, once.
MAKER_SIGNED_SQL = """
UPDATE swaps SET maker_signature = $2, status = 'open', updated_at = now()
WHERE id = $1 AND status = 'awaiting_maker_signature'
  AND deadline_s >= extract(epoch FROM now())
RETURNING id
"""

# The taker's signature: open -> accepted, once; the worker is woken by the row's trigger.
TAKER_SIGNED_SQL = """
UPDATE swaps SET taker_signature = $2, status = 'accepted', accepted_at = now(),
    updated_at = now()
WHERE id = $1 AND status = 'open' AND deadline_s >= extract(epoch FROM now())
RETURNING id
"""

# The maker cancels (awaiting or open) or the taker declines (open): $2 is the new status, $3
# the statuses it may leave.
WITHDRAW_SQL = """
UPDATE swaps SET status = $2, updated_at = now(), settled_at = now()
WHERE id = $1 AND status = ANY($3::text[])
RETURNING id
"""
