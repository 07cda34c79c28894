-- Settlement writes one live row per hunt and hundred minted tokens instead of one per token.
-- A `mints` row's payload is {"type": "mints", "events": [...]}, each element the `mint` event
-- it replaces (the same fields, in token order); the relay (server/live/relay.py) adds each
-- element to the hunt's stream as its own `mint` message, with the stream id {seq}-{i}, so
-- clients see exactly what they saw before. Why: every live_events row is inserted, numbered
-- and marked delivered, each time with its five indexes; for a batch of a hundred mints that
-- was most of settlement's cost, on the cores the chain node and the scans also need.
-- A job inserted already minted (live_mint_events) still writes a `mint` row of its own.
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check
    CHECK (kind IN ('find', 'mint', 'mints', 'alert'));

CREATE OR REPLACE FUNCTION mint_jobs_minted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_jobs WHERE status = 'minted') THEN
        RETURN NULL;
    END IF;
    WITH minted AS (
        SELECT n.find_id, n.batch_id, n.tx_hash, n.contract, n.chain_id,
            COALESCE(n.minted_at, n.updated_at) AS minted_at,
            f.hunt_id, f.hunter_id, f.collectible_id
        FROM new_jobs n
        JOIN old_jobs o ON o.find_id = n.find_id
        JOIN finds f ON f.id = n.find_id
        WHERE n.status = 'minted' AND o.status <> 'minted'
    ), counted AS (
        INSERT INTO collectible_counts AS cc (collectible_id, minted)
        SELECT collectible_id, count(*) FROM minted GROUP BY 1 ORDER BY 1
        ON CONFLICT (collectible_id) DO UPDATE SET minted = cc.minted + EXCLUDED.minted
    ), events AS (
        SELECT m.hunt_id, m.find_id,
            -- the hunt's hundreds: each group of a hundred tokens is one row
            (row_number() OVER (PARTITION BY m.hunt_id ORDER BY m.find_id) - 1) / 100 AS part,
            jsonb_build_object(
                'type', 'mint',
                'hunt', hu.slug,
                'find_id', m.find_id,
                'token_id', m.find_id,
                'hunter', jsonb_build_object(
                    'hunter_id', h.id, 'name', live_name(h.handle, h.wallet, h.id)),
                'collectible', jsonb_build_object(
                    'key', c.key, 'name', c.name, 'episode', c.episode),
                'tx_hash', COALESCE(m.tx_hash, b.mined_hash),
                'contract', COALESCE(m.contract, b.contract),
                'chain_id', COALESCE(m.chain_id, b.chain_id),
                'minted_at', live_time(m.minted_at)) AS event
        FROM minted m
        JOIN hunts hu ON hu.id = m.hunt_id
        JOIN hunters h ON h.id = m.hunter_id
        JOIN collectibles c ON c.id = m.collectible_id
        LEFT JOIN mint_batches b ON b.id = m.batch_id
    )
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT hunt_id, 'mints', jsonb_build_object(
        'type', 'mints', 'events', jsonb_agg(event ORDER BY find_id))
    FROM events
    GROUP BY hunt_id, part
    ORDER BY min(find_id);
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;
