"""Every SQL statement the moments feature runs (service.py, loves.py, routes.py). Each constant
is one whole statement. The tables are migration 0011's."""

# --- making a moment (service.py) ----------------------------------------------------------

# The hunt by slug with its rules, and its collectible of key $2 (NULL when it has none).
HUNT_COLLECTIBLE_SQL = """
SELECT h.id AS hunt_id, h.slug, h.rules, c.id AS collectible_id
FROM hunts h LEFT JOIN collectibles c ON c.hunt_id = h.id AND c.key = $2
WHERE h.slug = $1
"""

# Whether hunter $1 holds a find of collectible $2, by the holder rule of engravings: an
# unminted find is its finder's; a minted one is held by the owner the Transfer follower last
# recorded, or before that by the wallet it was minted to. So the finder who sold the token
# holds nothing, and a fan who bought one holds it.
HOLDS_COLLECTIBLE_SQL = """
SELECT EXISTS (
    SELECT 1 FROM finds f
    LEFT JOIN mint_jobs j ON j.find_id = f.id
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    LEFT JOIN token_holders th
           ON j.status = 'minted'
          AND th.chain_id = COALESCE(j.chain_id, b.chain_id)
          AND th.contract = lower(COALESCE(j.contract, b.contract))
          AND th.token_id = f.id
    WHERE f.hunter_id = $1 AND f.collectible_id = $2
      AND (j.status IS DISTINCT FROM 'minted'
           OR lower(COALESCE(th.owner, j.wallet)) = (SELECT wallet FROM hunters WHERE id = $1))
) OR EXISTS (
    SELECT 1 FROM hunters me
    JOIN token_holders th ON th.owner = me.wallet
    JOIN finds f ON f.id = th.token_id AND f.collectible_id = $2
    JOIN mint_jobs j ON j.find_id = f.id AND j.status = 'minted'
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    WHERE me.id = $1
      AND th.chain_id = COALESCE(j.chain_id, b.chain_id)
      AND th.contract = lower(COALESCE(j.contract, b.contract))
) AS holds
"""

# One more moment of hunt $1 for hunter $2 if fewer than $3 were made: no row back at the
# limit. Concurrent creations by one hunter queue on the quota row, so none passes the limit.
TAKE_QUOTA_SQL = """
INSERT INTO moment_quotas AS q (hunt_id, hunter_id, made)
SELECT $1, $2, 1 WHERE $3 > 0
ON CONFLICT (hunt_id, hunter_id) DO UPDATE SET made = q.made + 1 WHERE q.made < $3
RETURNING made
"""

INSERT_MOMENT_SQL = """
INSERT INTO moments (hunt_id, collectible_id, author_id, scene_s, title, note, sketch,
                     sketch_type)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""

# The hunt's fold lock row, written with its first moment.
FOLD_ROW_SQL = """
INSERT INTO moment_folds (hunt_id) VALUES ($1) ON CONFLICT DO NOTHING
"""

# --- reading moments (routes.py, service.py) -----------------------------------------------

# One moment as the API shows it, with its exact loves and whether hunter $2 loves it.
MOMENT_SQL = """
SELECT m.id, hu.slug AS hunt, c.key AS collectible, m.scene_s, m.title, m.note, m.sketch_type,
       m.author_id, a.handle AS author, m.status, m.token_id, m.created_at,
       (SELECT count(*) FROM moment_loves l WHERE l.moment_id = m.id) AS loves,
       EXISTS (SELECT 1 FROM moment_loves l WHERE l.moment_id = m.id AND l.hunter_id = $2)
           AS loved,
       mm.status AS mint_status, mm.error, mm.tx_hash, mm.contract, mm.chain_id,
       b.contract AS batch_contract, b.chain_id AS batch_chain
FROM moments m
JOIN hunts hu ON hu.id = m.hunt_id
JOIN collectibles c ON c.id = m.collectible_id
JOIN hunters a ON a.id = m.author_id
LEFT JOIN moment_mints mm ON mm.moment_id = m.id
LEFT JOIN mint_batches b ON b.id = mm.batch_id
WHERE m.id = $1
"""

# A hunt's moments in status $2 (of collectible $3, or all when NULL), newest first.
LIST_RECENT_SQL = """
SELECT m.id, hu.slug AS hunt, c.key AS collectible, m.scene_s, m.title, m.note, m.sketch_type,
       m.author_id, a.handle AS author, m.status, m.token_id, m.created_at, m.loves,
       EXISTS (SELECT 1 FROM moment_loves l WHERE l.moment_id = m.id AND l.hunter_id = $4)
           AS loved,
       mm.status AS mint_status, mm.error, mm.tx_hash, mm.contract, mm.chain_id,
       b.contract AS batch_contract, b.chain_id AS batch_chain
FROM moments m
JOIN hunts hu ON hu.id = m.hunt_id
JOIN collectibles c ON c.id = m.collectible_id
JOIN hunters a ON a.id = m.author_id
LEFT JOIN moment_mints mm ON mm.moment_id = m.id
LEFT JOIN mint_batches b ON b.id = mm.batch_id
WHERE m.hunt_id = $1 AND m.status = $2 AND ($3::bigint IS NULL OR m.collectible_id = $3)
ORDER BY m.id DESC
LIMIT $5 OFFSET $6
"""

# The same, most loved first (then newest), by the folded counts.
LIST_LOVED_SQL = """
SELECT m.id, hu.slug AS hunt, c.key AS collectible, m.scene_s, m.title, m.note, m.sketch_type,
       m.author_id, a.handle AS author, m.status, m.token_id, m.created_at, m.loves,
       EXISTS (SELECT 1 FROM moment_loves l WHERE l.moment_id = m.id AND l.hunter_id = $4)
           AS loved,
       mm.status AS mint_status, mm.error, mm.tx_hash, mm.contract, mm.chain_id,
       b.contract AS batch_contract, b.chain_id AS batch_chain
FROM moments m
JOIN hunts hu ON hu.id = m.hunt_id
JOIN collectibles c ON c.id = m.collectible_id
JOIN hunters a ON a.id = m.author_id
LEFT JOIN moment_mints mm ON mm.moment_id = m.id
LEFT JOIN mint_batches b ON b.id = mm.batch_id
WHERE m.hunt_id = $1 AND m.status = $2 AND ($3::bigint IS NULL OR m.collectible_id = $3)
ORDER BY m.loves DESC, m.id DESC
LIMIT $5 OFFSET $6
"""

# A hunter's own moments, every status, newest first.
MY_MOMENTS_SQL = """
SELECT m.id, hu.slug AS hunt, c.key AS collectible, m.scene_s, m.title, m.note, m.sketch_type,
       m.author_id, a.handle AS author, m.status, m.token_id, m.created_at,
       (SELECT count(*) FROM moment_loves l WHERE l.moment_id = m.id) AS loves,
       EXISTS (SELECT 1 FROM moment_loves l WHERE l.moment_id = m.id AND l.hunter_id = $1)
           AS loved,
       mm.status AS mint_status, mm.error, mm.tx_hash, mm.contract, mm.chain_id,
       b.contract AS batch_contract, b.chain_id AS batch_chain
FROM moments m
JOIN hunts hu ON hu.id = m.hunt_id
JOIN collectibles c ON c.id = m.collectible_id
JOIN hunters a ON a.id = m.author_id
LEFT JOIN moment_mints mm ON mm.moment_id = m.id
LEFT JOIN mint_batches b ON b.id = mm.batch_id
WHERE m.author_id = $1
ORDER BY m.id DESC
LIMIT 200
"""

COLLECTIBLE_ID_SQL = """
SELECT id FROM collectibles WHERE hunt_id = $1 AND key = $2
"""

SKETCH_SQL = """
SELECT m.sketch, m.sketch_type, m.status, m.author_id, h.slug AS hunt
FROM moments m JOIN hunts h ON h.id = m.hunt_id
WHERE m.id = $1
"""

DECISIONS_SQL = """
SELECT d.id, d.action, d.status, d.reason, d.actor_role, d.actor, d.reports, d.decided_at
FROM moment_decisions d
WHERE d.moment_id = $1
ORDER BY d.id
"""

# --- review and reports (service.py) -------------------------------------------------------

# Who wrote the moment and in which hunt: read before any lock (they never change).
MOMENT_OWNER_SQL = """
SELECT m.author_id, h.slug AS hunt, h.rules
FROM moments m JOIN hunts h ON h.id = m.hunt_id
WHERE m.id = $1
"""

# The author's wallet, share-locked until the decision commits: a wallet's link updates this
# row, so it waits for the approval (and then queues its mint by trigger), or the approval
# waits for the link and sees the wallet. Taken before the moment's row: the link's trigger
# takes them in the same order.
AUTHOR_WALLET_SQL = """
SELECT wallet FROM hunters WHERE id = $1 FOR SHARE
"""

MOMENT_FOR_UPDATE_SQL = """
SELECT status, review_round, reports FROM moments WHERE id = $1 FOR NO KEY UPDATE
"""

# An organiser's decision: the status, the token at the first approval, a new report round.
DECIDE_SQL = """
UPDATE moments SET
    status = $2,
    token_id = CASE WHEN $2 = 'approved' THEN COALESCE(token_id, 4611686018427387904 + id)
                    ELSE token_id END,
    reports = 0,
    review_round = review_round + 1,
    decided_at = now()
WHERE id = $1
"""

RECORD_DECISION_SQL = """
INSERT INTO moment_decisions (moment_id, action, status, reason, actor_role, actor, reports)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

# The mint of an approved moment to wallet $2, once ever.
QUEUE_MINT_SQL = """
INSERT INTO moment_mints (moment_id, token_id, wallet)
SELECT id, token_id, $2 FROM moments WHERE id = $1 AND token_id IS NOT NULL
ON CONFLICT (moment_id) DO NOTHING
"""

# A report of this round; no row back when the hunter reported it already.
ADD_REPORT_SQL = """
INSERT INTO moment_reports (moment_id, review_round, hunter_id, reason)
VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
RETURNING reported_at
"""

COUNT_REPORT_SQL = """
UPDATE moments SET reports = reports + 1 WHERE id = $1 RETURNING reports
"""

HIDE_SQL = """
UPDATE moments SET status = 'hidden' WHERE id = $1 AND status = 'approved'
"""

# --- loves (loves.py) ----------------------------------------------------------------------

# A love of an approved moment: a row, and a +1 for the folded count. Insert-only: no row is
# updated, so loves of one moment never queue behind each other. `found`: the moment exists and
# is approved; `added`: this love is new.
LOVE_SQL = """
WITH target AS (
    SELECT id, hunt_id FROM moments WHERE id = $1 AND status = 'approved'
), added AS (
    INSERT INTO moment_loves (moment_id, hunter_id)
    SELECT id, $2 FROM target
    ON CONFLICT (moment_id, hunter_id) DO NOTHING
    RETURNING moment_id
), counted AS (
    INSERT INTO moment_love_deltas (hunt_id, moment_id, delta)
    SELECT t.hunt_id, t.id, 1 FROM target t JOIN added a ON a.moment_id = t.id
)
SELECT EXISTS (SELECT 1 FROM target) AS found, EXISTS (SELECT 1 FROM added) AS added
"""

# Taking a love back (of a moment in any status but pending); a -1 when there was one.
UNLOVE_SQL = """
WITH target AS (
    SELECT id, hunt_id FROM moments WHERE id = $1 AND status <> 'pending'
), gone AS (
    DELETE FROM moment_loves l USING target t
    WHERE l.moment_id = t.id AND l.hunter_id = $2
    RETURNING l.moment_id
), counted AS (
    INSERT INTO moment_love_deltas (hunt_id, moment_id, delta)
    SELECT t.hunt_id, t.id, -1 FROM target t JOIN gone g ON g.moment_id = t.id
)
SELECT EXISTS (SELECT 1 FROM target) AS found
"""

# Exact, over the primary key's index: a few thousand entries for the most loved moment.
LOVES_SQL = """
SELECT count(*) AS loves,
       EXISTS (SELECT 1 FROM moment_loves WHERE moment_id = $1 AND hunter_id = $2) AS loved
FROM moment_loves WHERE moment_id = $1
"""

# Adds hunt $1's pending deltas to moments.loves. One fold per hunt at a time: it holds the
# hunt's moment_folds row, and a reader that finds the row held skips the fold (the folder
# there is doing it) instead of waiting; with no delta pending, nothing is locked or written.
FOLD_LOVES_SQL = """
WITH turn AS (
    SELECT f.hunt_id FROM moment_folds f
    WHERE f.hunt_id = $1 AND EXISTS (SELECT 1 FROM moment_love_deltas d WHERE d.hunt_id = $1)
    FOR UPDATE SKIP LOCKED
), gone AS (
    DELETE FROM moment_love_deltas d USING turn t WHERE d.hunt_id = t.hunt_id
    RETURNING d.moment_id, d.delta
), sums AS (
    SELECT moment_id, sum(delta)::integer AS n FROM gone GROUP BY moment_id
)
UPDATE moments m SET loves = m.loves + s.n FROM sums s WHERE m.id = s.moment_id AND s.n <> 0
"""
