"""Every SQL statement the scans feature runs (service.py and routes.py). Each constant is one
whole statement."""

# --- the scan path (service.py) ------------------------------------------------------------

# One call decides and records an accepted find (migrations: claim_find), given the hunter's
# finds_version the rules were checked against; 'stale' when another find came first.
CLAIM_SQL = """
SELECT * FROM claim_find($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
# The claims of the scans waiting at the same moment, in one call and one transaction
# (migrations: claim_finds): one array per claim_find argument, one row per claim by `idx`.
CLAIMS_SQL = """
SELECT * FROM claim_finds($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
    $5::bigint[], $6::float8[], $7::float8[], $8::float8[], $9::float8[],
    $10::timestamptz[], $11::text[], $12::inet[])
"""
# Records a refused scan and, for a static code seen too widely, raises a leak alert
# (migrations: record_rejection); returns the alert's id, if one was raised.
REJECT_SQL = """
SELECT record_rejection($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
"""
HUNTER_STATE_SQL = """
SELECT finds_version, last_lat, last_lon, last_found_at FROM hunters WHERE id = $1
"""
# Scans by one hunter decided one after another: the second waits for the first to commit.
HUNTER_STATE_FOR_UPDATE_SQL = """
SELECT finds_version, last_lat, last_lon, last_found_at FROM hunters WHERE id = $1 FOR UPDATE
"""

# --- the hunter's finds and their tokens (routes.py) ---------------------------------------

FINDS_SQL = """
SELECT f.id, f.clue_id, f.found_at, c.key, c.name, c.episode,
       COALESCE(j.status, 'awaiting_wallet') AS mint_status, j.error, j.tx_hash, j.contract,
       j.chain_id, b.contract AS batch_contract, b.chain_id AS batch_chain
FROM finds f
JOIN collectibles c ON c.id = f.collectible_id
LEFT JOIN mint_jobs j ON j.find_id = f.id
LEFT JOIN mint_batches b ON b.id = j.batch_id
WHERE f.hunter_id = $1 ORDER BY f.id
"""

# A token's ERC-721 metadata: token ids are find ids.
METADATA_SQL = """
SELECT f.id, f.found_at, c.name, c.description, c.image_url, c.episode, cl.city, cl.kind,
       h.name AS hunt_name, e.note AS engraving, e.sketch_type
FROM finds f
JOIN collectibles c ON c.id = f.collectible_id
JOIN clues cl ON cl.id = f.clue_id
JOIN hunts h ON h.id = f.hunt_id
LEFT JOIN engravings e ON e.find_id = f.id
WHERE f.id = $1
"""

# A fans' moment's token (token id = 2^62 + the moment's id; migration 0011), once approved.
MOMENT_METADATA_SQL = """
SELECT m.status, m.title, m.scene_s, m.note, m.sketch IS NOT NULL AS has_sketch,
       a.handle AS author, c.name, c.episode, c.image_url, h.name AS hunt_name
FROM moments m
JOIN collectibles c ON c.id = m.collectible_id
JOIN hunts h ON h.id = m.hunt_id
JOIN hunters a ON a.id = m.author_id
WHERE m.token_id = $1 AND m.status <> 'pending'
"""
