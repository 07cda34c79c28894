"""Every SQL statement the live feature runs (relay.py and session.py). Each constant is one
whole statement."""

# --- the relay: live_events outbox to Redis streams (relay.py) -----------------------------

# Number what is not numbered yet (in id order, as near to commit order as the table shows),
# and return it with what was numbered but not delivered (a batch interrupted before its
# commit); the second SELECT sees the rows as they were before the UPDATE, so nothing comes
# back twice.
NEXT_SQL = """
WITH numbered AS (
    SELECT id, nextval('live_event_seq') AS seq
    FROM (SELECT id FROM live_events WHERE seq IS NULL ORDER BY id LIMIT $1) waiting
), fresh AS (
    UPDATE live_events e SET seq = n.seq FROM numbered n WHERE e.id = n.id
    RETURNING e.id, e.seq, e.hunt_id, e.kind, e.payload
)
SELECT * FROM fresh
UNION ALL
SELECT id, seq, hunt_id, kind, payload FROM live_events
WHERE delivered_at IS NULL AND seq IS NOT NULL
ORDER BY seq
"""
DELIVERED_SQL = """
UPDATE live_events SET delivered_at = now() WHERE id = ANY($1::bigint[])
"""
# Per hunt, the highest seq PostgreSQL says was delivered (of the events it keeps): a hunt's
# marker in Redis below it means Redis lost some of the hunt's data. $1: the hunts, or NULL
# for every hunt that has any.
HIGH_SQL = """
SELECT hunt_id, max(seq) AS seq FROM live_events
WHERE delivered_at IS NOT NULL AND ($1::bigint[] IS NULL OR hunt_id = ANY($1::bigint[]))
GROUP BY hunt_id
"""
# The hunts whose markers the relay watches: those with kept events or with scores.
WATCHED_HUNTS_SQL = """
SELECT hunt_id FROM live_events WHERE delivered_at IS NOT NULL
UNION
SELECT DISTINCT hunt_id FROM hunt_scores
"""
# The delivered rows of each of the hunts $1 that hold its newest $2 stream entries, to refill
# streams Redis lost (a batch row, `finds` or `mints`, holds one entry per element of its
# events).
KEPT_SQL = """
SELECT seq, hunt_id, kind, payload FROM (
    SELECT seq, hunt_id, kind, payload, entries,
           sum(entries) OVER (PARTITION BY hunt_id ORDER BY seq DESC) AS newest
    FROM (
        SELECT seq, hunt_id, kind, payload,
               CASE WHEN kind IN ('finds', 'mints')  -- entries.BATCH_KINDS
                   THEN jsonb_array_length(payload->'events') ELSE 1 END AS entries
        FROM live_events WHERE delivered_at IS NOT NULL AND hunt_id = ANY($1::bigint[])
    ) counted
) kept WHERE newest - entries < $2 ORDER BY seq
"""
CLEANUP_SQL = """
DELETE FROM live_events WHERE delivered_at < now() - $1::interval
"""

# --- a live client's snapshot (session.py) -------------------------------------------------

HUNT_NAME_SQL = """
SELECT name FROM hunts WHERE id = $1
"""
COLLECTIBLES_SQL = """
SELECT key, name, episode, found, supply FROM collectibles WHERE hunt_id = $1 ORDER BY id
"""
