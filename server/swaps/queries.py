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

# A swap with what its answer shows of the two collectibles (migration 0016's view).
SWAP_SQL = """
SELECT * FROM swaps_shown WHERE id = $1
"""

# A wallet's swaps, newest first: those it made, and those it received once their maker signed
# (an offer is the maker's alone until then).
MY_SWAPS_SQL = """
SELECT * FROM swaps_shown
WHERE maker = $1 OR (taker = $1 AND status <> 'awaiting_maker_signature')
ORDER BY id DESC
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

# Swap $1 as SWAP_SQL shows it, closed first if its deadline passed (as EXPIRE_DUE_SQL closes
# it), and the wallet of hunter $2, the caller (NULL when they have none): one round trip where
# a signature took three. No row when there is no swap $1. The statement's read of the table
# (and of the swaps_shown view) sees the row as it was before its own update, hence the
# updated row in its place and the view's columns written out.
VISIBLE_SWAP_SQL = """
WITH due AS (
    UPDATE swaps SET
        status = CASE WHEN status = 'accepted' THEN 'failed' ELSE 'expired' END,
        error = CASE WHEN status = 'accepted' THEN 'expired' END,
        updated_at = now(), settled_at = now()
    WHERE id = $1 AND status IN ('awaiting_maker_signature', 'open', 'accepted')
      AND deadline_s < extract(epoch FROM now())
    RETURNING *
), s AS (
    SELECT * FROM due
    UNION ALL
    SELECT * FROM swaps WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM due)
)
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name,
    (SELECT wallet FROM hunters WHERE id = $2) AS caller_wallet
FROM s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id
"""

# The maker's signature: awaiting -> open, once. The swap as SWAP_SQL shows it (the id
# first), no row when it could not be signed now. The view's columns are written out on the
# updated row: the view would read the table as it was before this statement's update.
MAKER_SIGNED_SQL = """
WITH s AS (
    UPDATE swaps SET maker_signature = $2, status = 'open', updated_at = now()
    WHERE id = $1 AND status = 'awaiting_maker_signature'
      AND deadline_s >= extract(epoch FROM now())
    RETURNING *
)
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name
FROM s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id
"""

# The taker's signature: open -> accepted, once; the worker is woken by the row's trigger. The
# swap as SWAP_SQL shows it (the id first), no row when it could not be accepted now; the
# view's columns written out on the updated row, as for MAKER_SIGNED_SQL.
TAKER_SIGNED_SQL = """
WITH s AS (
    UPDATE swaps SET taker_signature = $2, status = 'accepted', accepted_at = now(),
        updated_at = now()
    WHERE id = $1 AND status = 'open' AND deadline_s >= extract(epoch FROM now())
    RETURNING *
)
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name
FROM s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id
"""

# The maker cancels (awaiting or open) or the taker declines (open): $2 is the new status, $3
# the statuses it may leave.
WITHDRAW_SQL = """
UPDATE swaps SET status = $2, updated_at = now(), settled_at = now()
WHERE id = $1 AND status = ANY($3::text[])
RETURNING id
"""

# --- another fan's tokens (GET /v1/fans/{hunter_id}/tokens) --------------------------------

# Fan $1 as caller $2 may see them: only where the fan is listed anyway. A discoverable fan is
# in discoverable fans' twins lists (both must have opted in, as for twins); any fan is on a
# hunt's public leaderboard while among its first $3 (the leaderboard's largest answer, in its
# order). No row: unknown, or listed nowhere the caller can look, which answer alike.
LISTED_FAN_SQL = """
SELECT t.id, t.handle FROM hunters t
WHERE t.id = $1
  AND (
    (t.discoverable AND (SELECT me.discoverable FROM hunters me WHERE me.id = $2))
    OR EXISTS (
        SELECT 1 FROM hunt_scores mine
        WHERE mine.hunter_id = t.id
          AND t.id IN (
              SELECT s.hunter_id FROM hunt_scores s
              WHERE s.hunt_id = mine.hunt_id
              ORDER BY s.score DESC, date_trunc('milliseconds', s.reached_at),
                       s.hunter_id::text DESC
              LIMIT $3)))
"""

# The minted tokens fan $1's wallet holds now, by the holder rule of engravings (the owner the
# Transfer follower last recorded, or before any transfer the wallet it was minted to): finds
# and approved moments minted to the fan and still theirs, and those that reached the wallet by
# a transfer or a swap. Only what a token's public page shows: its id, episode and art, and a
# moment's title. At most $2, lowest token id first.
FAN_TOKENS_SQL = """
WITH fan AS (
    SELECT id, wallet FROM hunters WHERE id = $1 AND wallet IS NOT NULL
), minted AS (
    SELECT f.id AS token_id, f.collectible_id, NULL::text AS title,
           lower(COALESCE(th.owner, j.wallet)) AS holder
    FROM fan
    JOIN finds f ON f.hunter_id = fan.id
    JOIN mint_jobs j ON j.find_id = f.id AND j.status = 'minted'
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    LEFT JOIN token_holders th
           ON th.chain_id = COALESCE(j.chain_id, b.chain_id)
          AND th.contract = lower(COALESCE(j.contract, b.contract))
          AND th.token_id = f.id
    UNION ALL
    SELECT m.token_id, m.collectible_id, m.title, lower(COALESCE(th.owner, mm.wallet))
    FROM fan
    JOIN moments m ON m.author_id = fan.id AND m.status = 'approved'
    JOIN moment_mints mm ON mm.moment_id = m.id AND mm.status = 'minted'
    LEFT JOIN mint_batches b ON b.id = mm.batch_id
    LEFT JOIN token_holders th
           ON th.chain_id = COALESCE(mm.chain_id, b.chain_id)
          AND th.contract = lower(COALESCE(mm.contract, b.contract))
          AND th.token_id = m.token_id
), received AS (
    SELECT f.id AS token_id, f.collectible_id, NULL::text AS title
    FROM fan
    JOIN token_holders th ON th.owner = fan.wallet
    JOIN finds f ON f.id = th.token_id AND f.hunter_id <> fan.id
    JOIN mint_jobs j ON j.find_id = f.id AND j.status = 'minted'
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    WHERE th.chain_id = COALESCE(j.chain_id, b.chain_id)
      AND th.contract = lower(COALESCE(j.contract, b.contract))
    UNION ALL
    SELECT m.token_id, m.collectible_id, m.title
    FROM fan
    JOIN token_holders th ON th.owner = fan.wallet
    JOIN moments m ON m.token_id = th.token_id AND m.status = 'approved'
                  AND m.author_id <> fan.id
    JOIN moment_mints mm ON mm.moment_id = m.id AND mm.status = 'minted'
    LEFT JOIN mint_batches b ON b.id = mm.batch_id
    WHERE th.chain_id = COALESCE(mm.chain_id, b.chain_id)
      AND th.contract = lower(COALESCE(mm.contract, b.contract))
), held AS (
    SELECT token_id, collectible_id, title FROM minted, fan WHERE minted.holder = fan.wallet
    UNION ALL
    SELECT token_id, collectible_id, title FROM received
)
SELECT held.token_id, held.title, hu.slug AS hunt, c.key, c.name, c.episode, c.image_url
FROM held
JOIN collectibles c ON c.id = held.collectible_id
JOIN hunts hu ON hu.id = c.hunt_id
ORDER BY held.token_id
LIMIT $2
"""
