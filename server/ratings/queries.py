"""Every SQL statement the ratings feature runs (figures.py, page.py). Each constant is one
whole statement.

The figures are read from the rollups that triggers keep current (migration 0005) and from the
catalog's own counters, so that a hunt of a million scans is answered from a few thousand rows.
"""

# --- the figures of one hunt (figures.py) --------------------------------------------------

COLLECTIBLES_SQL = """
SELECT c.id, c.key, c.name, c.episode, c.supply, c.found,
       COALESCE(cc.scanners, 0) AS scanners, COALESCE(cc.minted, 0) AS minted,
       (SELECT min(f.found_at) FROM finds f WHERE f.collectible_id = c.id) AS first_find_at
FROM collectibles c LEFT JOIN collectible_counts cc ON cc.collectible_id = c.id
WHERE c.hunt_id = $1
ORDER BY c.id
"""

CLUES_SQL = """
SELECT id, collectible_id, kind, label, city, finds, active FROM clues
WHERE hunt_id = $1 ORDER BY id
"""

SCANS_BY_CLUE_SQL = """
SELECT clue_id, verdict, sum(n)::bigint AS n FROM scan_counts WHERE hunt_id = $1 GROUP BY 1, 2
"""

SCANS_BY_HOUR_SQL = """
SELECT hour, sum(n)::bigint AS scans, (sum(n) FILTER (WHERE verdict = 'accepted'))::bigint AS finds
FROM scan_counts WHERE hunt_id = $1 GROUP BY hour ORDER BY hour
"""

# Transfers of the tokens minted for this hunt's finds, on the contract each was minted on.
TRANSFERS_SQL = """
SELECT f.collectible_id, count(*) AS transfers, count(DISTINCT t.token_id) AS tokens
FROM token_transfers t
JOIN finds f ON f.id = t.token_id
JOIN mint_jobs j ON j.find_id = f.id AND lower(j.contract) = t.contract
WHERE t.secondary AND f.hunt_id = $1
GROUP BY 1
"""

# Fans' approved moments per collectible and scene time, with their loves: the folded counts
# plus the deltas not folded yet, so the figures are exact in the stats' snapshot.
SCENES_SQL = """
SELECT m.collectible_id, m.scene_s, count(*) AS moments,
       (sum(m.loves) + COALESCE(sum(d.pending), 0))::bigint AS loves
FROM moments m
LEFT JOIN (
    SELECT moment_id, sum(delta) AS pending FROM moment_love_deltas
    WHERE hunt_id = $1 GROUP BY moment_id
) d ON d.moment_id = m.id
WHERE m.hunt_id = $1 AND m.status = 'approved'
GROUP BY m.collectible_id, m.scene_s
"""

# Completed swaps (migration 0012) per collectible of the hunt: traded to get it (the maker
# wanted it) and traded away (the maker gave it); a swap across two hunts counts in each.
SWAPS_SQL = """
SELECT c.id AS collectible_id,
       (SELECT count(*) FROM swaps s
        WHERE s.want_collectible_id = c.id AND s.status = 'completed') AS swaps_in,
       (SELECT count(*) FROM swaps s
        WHERE s.give_collectible_id = c.id AND s.status = 'completed') AS swaps_out
FROM collectibles c
WHERE c.hunt_id = $1
"""

# --- the ratings page (page.py) ------------------------------------------------------------

# The hunt's latest alerts, by slug.
ALERTS_SQL = """
SELECT a.id, a.kind, a.clue_id, a.raised_at, a.detail, c.label
FROM alerts a JOIN hunts h ON h.id = a.hunt_id LEFT JOIN clues c ON c.id = a.clue_id
WHERE h.slug = $1 ORDER BY a.id DESC LIMIT 20
"""
