"""Every SQL statement the fans feature runs (routes.py and twins.py). Each constant is one
whole statement."""

# --- engravings and privacy (routes.py) ----------------------------------------------------

# The holder rule, once: unminted, a find is its finder's; minted, its token is held by the
# owner the Transfer follower last recorded, or before that by the wallet it was minted to.
# `holds` is whether hunter $2 is that holder (by id unminted, by wallet minted).
HOLDER_SQL = """
SELECT CASE WHEN j.status = 'minted'
            THEN me.wallet IS NOT NULL AND me.wallet = lower(COALESCE(th.owner, j.wallet))
            ELSE f.hunter_id = $2 END AS holds
FROM finds f
LEFT JOIN mint_jobs j ON j.find_id = f.id
LEFT JOIN mint_batches b ON b.id = j.batch_id
LEFT JOIN token_holders th
       ON j.status = 'minted'
      AND th.chain_id = COALESCE(j.chain_id, b.chain_id)
      AND th.contract = lower(COALESCE(j.contract, b.contract))
      AND th.token_id = f.id
LEFT JOIN hunters me ON me.id = $2
WHERE f.id = $1
"""

# Once per find: a second engraving returns no row.
ENGRAVE_SQL = """
INSERT INTO engravings (find_id, hunter_id, note, sketch, sketch_type)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (find_id) DO NOTHING
RETURNING created_at
"""

SKETCH_SQL = """
SELECT sketch, sketch_type FROM engravings WHERE find_id = $1 AND sketch IS NOT NULL
"""

# A fans' moment's sketch by its token id (migration 0011), shown while it is approved.
MOMENT_SKETCH_SQL = """
SELECT sketch, sketch_type FROM moments
WHERE token_id = $1 AND status = 'approved' AND sketch IS NOT NULL
"""

SET_DISCOVERABLE_SQL = """
UPDATE hunters SET discoverable = $2 WHERE id = $1 RETURNING discoverable
"""

# --- taste twins (twins.py) ----------------------------------------------------------------

CALLER_SQL = """
SELECT h.discoverable, s.collectibles
FROM hunters h LEFT JOIN taste_sets s ON s.hunter_id = h.id
WHERE h.id = $1
"""
# The groups (distinct found sets of discoverable hunters) overlapping the caller's set.
GROUPS_SQL = """
SELECT collectibles, members FROM taste_groups WHERE members > 0 AND collectibles && $1::bigint[]
"""
# Per chosen set, its first $3 hunters by id other than the caller and those of $4 (read
# already, as they loved what the caller loved).
# Sets travel as text ('{1,2}'): asyncpg arrays of arrays must be rectangular.
CANDIDATES_SQL = """
SELECT t.hunter_id, t.collectibles, h.handle
FROM unnest($1::text[]) AS g(found)
CROSS JOIN LATERAL (
    SELECT s.hunter_id, s.collectibles FROM taste_sets s
    WHERE s.discoverable AND s.collectibles = g.found::bigint[] AND s.hunter_id <> $2
      AND NOT (s.hunter_id = ANY($4::bigint[]))
    ORDER BY s.hunter_id LIMIT $3
) t
JOIN hunters h ON h.id = t.hunter_id
"""
# The discoverable hunters (with a found set) who loved a moment hunter $1 loved, with the
# moments both loved (migration 0011).
LOVED_ALIKE_SQL = """
SELECT l.hunter_id, s.collectibles, h.handle,
       array_agg(l.moment_id ORDER BY l.moment_id) AS moments
FROM moment_loves mine
JOIN moment_loves l ON l.moment_id = mine.moment_id AND l.hunter_id <> mine.hunter_id
JOIN taste_sets s ON s.hunter_id = l.hunter_id AND s.discoverable
JOIN hunters h ON h.id = l.hunter_id
WHERE mine.hunter_id = $1
GROUP BY l.hunter_id, s.collectibles, h.handle
"""
KEYS_SQL = """
SELECT id, key FROM collectibles WHERE id = ANY($1::bigint[])
"""
