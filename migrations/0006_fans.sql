-- Fans' own moments: engravings on finds, and the taste sets behind "taste twins".

-- One engraving per find, ever: the primary key is the "once" (INSERT ... ON CONFLICT DO
-- NOTHING), and no code path updates or deletes a row. The sketch is the server's own
-- re-encoding (PNG or sanitised SVG), never the bytes a client sent.
CREATE TABLE engravings (
    find_id      bigint PRIMARY KEY REFERENCES finds ON DELETE CASCADE,
    hunter_id    bigint NOT NULL REFERENCES hunters,
    note         text CHECK (note IS NULL OR char_length(note) <= 280),
    sketch       bytea,
    sketch_type  text CHECK (sketch_type IN ('image/png', 'image/svg+xml')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (note IS NOT NULL OR sketch IS NOT NULL),
    CHECK ((sketch IS NULL) = (sketch_type IS NULL))
);

ALTER TABLE hunters ADD COLUMN discoverable boolean NOT NULL DEFAULT false;

-- Each hunter's found collectibles (all hunts) as one sorted array, and, for discoverable
-- hunters only, how many hunters share each exact set: /v1/me/twins ranks the sets (a few
-- hundred at most with a handful of collectibles) and then reads only the top hunters.
CREATE TABLE taste_sets (
    hunter_id    bigint PRIMARY KEY REFERENCES hunters ON DELETE CASCADE,
    collectibles bigint[] NOT NULL,
    discoverable boolean NOT NULL
);
CREATE INDEX taste_sets_set_idx ON taste_sets (collectibles, hunter_id) WHERE discoverable;

CREATE TABLE taste_groups (
    collectibles bigint[] PRIMARY KEY,
    -- No CHECK (members >= 0): a decrement is an INSERT of -1 ON CONFLICT DO UPDATE, and a
    -- CHECK is tested on the proposed row before the conflict is found.
    members      integer NOT NULL
);
CREATE INDEX taste_groups_overlap_idx ON taste_groups USING gin (collectibles);

-- Finds only ever grow a set. Statement-level, so a bulk insert costs one grouped pass. The
-- hunters' rows are locked first (the scan path already holds its hunter's row), so two
-- transactions adding finds of one hunter recompute the set one after the other, each from
-- committed finds; groups are upserted in key order so concurrent writers cannot deadlock.
CREATE FUNCTION taste_on_finds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM hunters h
    WHERE h.id IN (SELECT DISTINCT hunter_id FROM new_finds)
    ORDER BY h.id FOR NO KEY UPDATE;

    -- One statement, one snapshot: `moves` reads each set as it was before the upsert.
    WITH moves AS (
        SELECT t.hunter_id, s.collectibles AS old_set, t.new_set, h.discoverable
        FROM (
            SELECT f.hunter_id, array_agg(f.collectible_id ORDER BY f.collectible_id) AS new_set
            FROM finds f
            WHERE f.hunter_id IN (SELECT DISTINCT hunter_id FROM new_finds)
            GROUP BY f.hunter_id
        ) t
        JOIN hunters h ON h.id = t.hunter_id
        LEFT JOIN taste_sets s ON s.hunter_id = t.hunter_id
    ), kept AS (
        INSERT INTO taste_sets AS s (hunter_id, collectibles, discoverable)
        SELECT hunter_id, new_set, discoverable FROM moves ORDER BY hunter_id
        ON CONFLICT (hunter_id) DO UPDATE SET collectibles = EXCLUDED.collectibles
    )
    INSERT INTO taste_groups AS g (collectibles, members)
    SELECT grp, sum(delta)::integer FROM (
        SELECT new_set AS grp, 1 AS delta FROM moves
        WHERE discoverable AND old_set IS DISTINCT FROM new_set
        UNION ALL
        SELECT old_set, -1 FROM moves
        WHERE discoverable AND old_set IS NOT NULL AND old_set IS DISTINCT FROM new_set
    ) d
    GROUP BY grp HAVING sum(delta) <> 0 ORDER BY grp
    ON CONFLICT (collectibles) DO UPDATE SET members = g.members + EXCLUDED.members;
    RETURN NULL;
END $$;

CREATE TRIGGER finds_taste AFTER INSERT ON finds
    REFERENCING NEW TABLE AS new_finds FOR EACH STATEMENT EXECUTE FUNCTION taste_on_finds();

-- Opting in or out moves the hunter's set into or out of the counted groups.
CREATE FUNCTION taste_on_privacy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_set bigint[];
BEGIN
    UPDATE taste_sets SET discoverable = NEW.discoverable WHERE hunter_id = NEW.id
    RETURNING collectibles INTO v_set;
    IF v_set IS NOT NULL THEN
        INSERT INTO taste_groups AS g (collectibles, members)
        VALUES (v_set, CASE WHEN NEW.discoverable THEN 1 ELSE -1 END)
        ON CONFLICT (collectibles) DO UPDATE SET members = g.members + EXCLUDED.members;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER hunters_taste AFTER UPDATE OF discoverable ON hunters
    FOR EACH ROW WHEN (OLD.discoverable IS DISTINCT FROM NEW.discoverable)
    EXECUTE FUNCTION taste_on_privacy();

-- Sets of the finds made before this migration (nobody is discoverable yet: no groups).
LOCK TABLE finds IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO taste_sets (hunter_id, collectibles, discoverable)
SELECT hunter_id, array_agg(collectible_id ORDER BY collectible_id), false
FROM finds GROUP BY hunter_id;
