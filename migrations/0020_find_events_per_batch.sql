-- A batch of claims writes one `finds` live row per hunt and hundred finds instead of one row
-- per find, as settlement does for mints since 0017: {"type": "finds", "events": [...]}, each
-- element the `find` event it replaces (the same fields, in find order), added to the hunt's
-- stream by the relay as its own `find` message ({seq}-0, {seq}-1, ...), with its
-- leaderboard entry. Under load a group commit claims many finds at once, and each live row
-- was inserted, numbered and marked delivered by itself, with its indexes.
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check
    CHECK (kind IN ('find', 'finds', 'mint', 'mints', 'alert'));

CREATE OR REPLACE FUNCTION live_find_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH events AS (
        SELECT f.hunt_id, f.id,
            -- the hunt's hundreds: each group of a hundred finds is one row
            (row_number() OVER (PARTITION BY f.hunt_id ORDER BY f.id) - 1) / 100 AS part,
            jsonb_build_object(
                'type', 'find',
                'hunt', hu.slug,
                'find', jsonb_build_object(
                    'id', f.id,
                    'clue_id', f.clue_id,
                    'collectible', jsonb_build_object(
                        'key', c.key, 'name', c.name, 'episode', c.episode),
                    'found_at', live_time(f.found_at)),
                'hunter', jsonb_build_object(
                    'hunter_id', h.id,
                    'name', live_name(h.handle, h.wallet, h.id),
                    'score', s.score,
                    'last_find_at', live_time(s.reached_at)),
                'clue', jsonb_build_object('kind', cl.kind, 'city', cl.city),
                'collectible', jsonb_build_object(
                    'key', c.key, 'name', c.name, 'episode', c.episode, 'found', c.found,
                    'supply', c.supply)) AS event
        FROM new_finds f
        JOIN hunts hu ON hu.id = f.hunt_id
        JOIN hunters h ON h.id = f.hunter_id
        JOIN collectibles c ON c.id = f.collectible_id
        JOIN clues cl ON cl.id = f.clue_id
        LEFT JOIN hunt_scores s ON s.hunt_id = f.hunt_id AND s.hunter_id = f.hunter_id
    )
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT hunt_id, 'finds', jsonb_build_object(
        'type', 'finds', 'events', jsonb_agg(event ORDER BY id))
    FROM events
    GROUP BY hunt_id, part
    ORDER BY min(id);
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;
