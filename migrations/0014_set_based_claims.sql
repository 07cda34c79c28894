-- Cheaper writes for a batch of claims: claim_finds decides each claim in arrival order as
-- before (the same verdicts, supply, one find per hunter and collectible, the hunters'
-- finds_version for the travel rule's staleness check), but writes set-based, one statement
-- per table for the whole batch: its finds (so the taste and live-event triggers run once), mint
-- jobs, hunters, hunt scores, the counters of clues and collectibles without a limit, and every
-- attempt row (so the ratings rollup trigger runs once). Only a limited counter (a clue's
-- max_finds, a collectible's supply) is still moved claim by claim, as it decides sold_out.
-- Everything a claim reads is read after its hunters are locked, and only claim_finds writes
-- hunters' scores and hunt_scores, so the values carried through the batch are the rows'.
-- claim_find is now the batch of one, so a claim is decided by one body whichever way it came.
CREATE OR REPLACE FUNCTION claim_finds(
    p_hunter bigint[], p_expected_version bigint[], p_hunt bigint[], p_collectible bigint[],
    p_clue bigint[], p_lat double precision[], p_lon double precision[],
    p_accuracy double precision[], p_distance double precision[],
    p_scanned_at timestamptz[], p_device text[], p_address inet[]
) RETURNS TABLE (
    idx integer, verdict text, find_id bigint, found_at timestamptz, mint_status text,
    score integer, reached_at timestamptz, version bigint, last_lat double precision,
    last_lon double precision, last_found_at timestamptz
) LANGUAGE plpgsql
-- A batch touches a few dozen rows, each by its key: every join here and in the triggers its
-- statements fire (taste, rollups, live events) is a nested loop of index probes. A hash join
-- would read a whole table (finds, hunters, clues, hunt_scores) once a batch, a cost that
-- grows with the hunt, which the planner may prefer for a few dozen rows on a small table.
SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
#variable_conflict use_column
DECLARE
    n integer := COALESCE(array_length(p_hunter, 1), 0);
    -- The batch's hunters (locked), as the claims so far leave them.
    h_id bigint[]; h_version bigint[]; h_wallet text[]; h_score integer[];
    h_lat float8[]; h_lon float8[]; h_at timestamptz[]; h_new integer[];
    -- Their scores in the batch's hunts: key 'hunt:hunter'.
    s_key text[]; s_hunt bigint[]; s_hunter bigint[]; s_score integer[];
    s_at timestamptz[]; s_new integer[];
    -- 'hunter:collectible' of every find, before or in this batch, of the batch's pairs.
    owned text[];
    -- Counters without a limit: moved once at the end.
    free_clues bigint[]; free_collectibles bigint[];
    -- Each claim's answer.
    r_verdict text[] := array_fill(NULL::text, ARRAY[n]);
    r_find bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    r_at timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    r_status text[] := array_fill(NULL::text, ARRAY[n]);
    r_score integer[] := array_fill(NULL::integer, ARRAY[n]);
    r_reached timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    r_version bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    r_lat float8[] := array_fill(NULL::float8, ARRAY[n]);
    r_lon float8[] := array_fill(NULL::float8, ARRAY[n]);
    r_last timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    r_wallet text[] := array_fill(NULL::text, ARRAY[n]);
    k integer;
    j integer;
    v_now timestamptz;
    v_free_clue boolean;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    -- Hunters first, in id order (see 0013), read as locked.
    SELECT array_agg(x.id ORDER BY x.id), array_agg(x.finds_version ORDER BY x.id),
           array_agg(x.wallet ORDER BY x.id), array_agg(x.score ORDER BY x.id),
           array_agg(x.last_lat ORDER BY x.id), array_agg(x.last_lon ORDER BY x.id),
           array_agg(x.last_found_at ORDER BY x.id), array_agg(0 ORDER BY x.id)
    INTO h_id, h_version, h_wallet, h_score, h_lat, h_lon, h_at, h_new
    FROM (SELECT hu.id, hu.finds_version, hu.wallet, hu.score, hu.last_lat, hu.last_lon,
                 hu.last_found_at
          FROM hunters hu WHERE hu.id = ANY (p_hunter) ORDER BY hu.id FOR UPDATE) x;

    SELECT array_agg(f.hunter_id || ':' || f.collectible_id) INTO owned
    FROM finds f
    WHERE (f.hunter_id, f.collectible_id) IN (SELECT * FROM unnest(p_hunter, p_collectible));

    SELECT array_agg(d.hunt || ':' || d.hunter), array_agg(d.hunt), array_agg(d.hunter),
           array_agg(COALESCE(hs.score, 0)), array_agg(hs.reached_at), array_agg(0)
    INTO s_key, s_hunt, s_hunter, s_score, s_at, s_new
    FROM (SELECT DISTINCT u.hunt, u.hunter FROM unnest(p_hunt, p_hunter) AS u(hunt, hunter)) d
    LEFT JOIN hunt_scores hs ON hs.hunt_id = d.hunt AND hs.hunter_id = d.hunter;

    SELECT array_agg(cl.id) INTO free_clues
    FROM clues cl WHERE cl.id = ANY (p_clue) AND cl.max_finds IS NULL;
    SELECT array_agg(co.id) INTO free_collectibles
    FROM collectibles co WHERE co.id = ANY (p_collectible) AND co.supply IS NULL;

    FOR i IN 1 .. n LOOP
        k := array_position(h_id, p_hunter[i]);
        IF k IS NULL THEN
            r_verdict[i] := 'unknown_hunter';
            CONTINUE;
        END IF;
        r_version[i] := h_version[k];
        r_lat[i] := h_lat[k];
        r_lon[i] := h_lon[k];
        r_last[i] := h_at[k];
        r_score[i] := h_score[k];
        IF h_version[k] <> p_expected_version[i] THEN
            r_verdict[i] := 'stale';
            CONTINUE;
        END IF;

        IF (p_hunter[i] || ':' || p_collectible[i]) = ANY (COALESCE(owned, '{}')) THEN
            r_verdict[i] := 'already_found';
            CONTINUE;
        END IF;
        v_free_clue := COALESCE(p_clue[i] = ANY (free_clues), false);
        IF NOT v_free_clue THEN
            UPDATE clues SET finds = finds + 1
                WHERE id = p_clue[i] AND (max_finds IS NULL OR finds < max_finds);
            IF NOT FOUND THEN
                r_verdict[i] := 'sold_out';
                CONTINUE;
            END IF;
        END IF;
        IF NOT COALESCE(p_collectible[i] = ANY (free_collectibles), false) THEN
            UPDATE collectibles SET found = found + 1
                WHERE id = p_collectible[i] AND (supply IS NULL OR found < supply);
            IF NOT FOUND THEN
                IF NOT v_free_clue THEN
                    UPDATE clues SET finds = finds - 1 WHERE id = p_clue[i];
                END IF;
                r_verdict[i] := 'sold_out';
                CONTINUE;
            END IF;
        END IF;

        -- Accepted: what the find changes, carried to the batch's later claims.
        v_now := clock_timestamp();
        r_verdict[i] := 'accepted';
        r_find[i] := nextval('finds_id_seq');
        r_at[i] := v_now;
        r_wallet[i] := h_wallet[k];
        r_status[i] := CASE WHEN h_wallet[k] IS NULL THEN 'awaiting_wallet' ELSE 'queued' END;
        owned := array_append(owned, p_hunter[i] || ':' || p_collectible[i]);
        h_version[k] := h_version[k] + 1;
        h_score[k] := h_score[k] + 1;
        h_new[k] := h_new[k] + 1;
        h_lat[k] := COALESCE(p_lat[i], h_lat[k]);
        h_lon[k] := COALESCE(p_lon[i], h_lon[k]);
        IF p_lat[i] IS NOT NULL THEN
            h_at[k] := v_now;
        END IF;
        j := array_position(s_key, p_hunt[i] || ':' || p_hunter[i]);
        s_score[j] := s_score[j] + 1;
        s_at[j] := v_now;
        s_new[j] := s_new[j] + 1;
        r_score[i] := s_score[j];
        r_reached[i] := v_now;
        r_version[i] := h_version[k];
        r_lat[i] := h_lat[k];
        r_lon[i] := h_lon[k];
        r_last[i] := h_at[k];
    END LOOP;

    IF 'accepted' = ANY (r_verdict) THEN
        -- What the finds change first, so that their live events (a statement trigger on
        -- finds, below) carry the batch's final scores and counters.
        UPDATE hunters hu SET
            score = d.score, finds_version = d.version, last_lat = d.lat, last_lon = d.lon,
            last_found_at = d.at
        FROM unnest(h_id, h_score, h_version, h_lat, h_lon, h_at, h_new)
            AS d(id, score, version, lat, lon, at, new)
        WHERE hu.id = d.id AND d.new > 0;

        INSERT INTO hunt_scores AS s (hunt_id, hunter_id, score, reached_at)
        SELECT d.hunt, d.hunter, d.score, d.at
        FROM unnest(s_hunt, s_hunter, s_score, s_at, s_new) AS d(hunt, hunter, score, at, new)
        WHERE d.new > 0 ORDER BY d.hunt, d.hunter
        ON CONFLICT (hunt_id, hunter_id) DO UPDATE
            SET score = EXCLUDED.score, reached_at = EXCLUDED.reached_at;

        UPDATE clues cl SET finds = cl.finds + d.n
        FROM (SELECT u.clue, count(*) AS n FROM unnest(p_clue, r_verdict) AS u(clue, verdict)
              WHERE u.verdict = 'accepted' AND u.clue = ANY (free_clues) GROUP BY u.clue) d
        WHERE cl.id = d.clue;
        UPDATE collectibles co SET found = co.found + d.n
        FROM (SELECT u.collectible, count(*) AS n
              FROM unnest(p_collectible, r_verdict) AS u(collectible, verdict)
              WHERE u.verdict = 'accepted' AND u.collectible = ANY (free_collectibles)
              GROUP BY u.collectible) d
        WHERE co.id = d.collectible;

        INSERT INTO finds (id, hunter_id, hunt_id, collectible_id, clue_id, found_at, lat, lon,
                           accuracy_m)
        SELECT r_find[i], p_hunter[i], p_hunt[i], p_collectible[i], p_clue[i], r_at[i], p_lat[i],
               p_lon[i], p_accuracy[i]
        FROM generate_series(1, n) AS i WHERE r_verdict[i] = 'accepted' ORDER BY i;

        INSERT INTO mint_jobs (find_id, wallet, queued_at)
        SELECT r_find[i], r_wallet[i], r_at[i]
        FROM generate_series(1, n) AS i
        WHERE r_verdict[i] = 'accepted' AND r_wallet[i] IS NOT NULL ORDER BY i;
    END IF;

    -- Every decided claim's attempt, in arrival order (ids in the order decided).
    INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                               distance_m, scanned_at, device_id, address, find_id)
    SELECT p_hunter[i], p_hunt[i], p_clue[i], r_verdict[i], p_lat[i], p_lon[i], p_accuracy[i],
           p_distance[i], p_scanned_at[i], p_device[i], p_address[i], r_find[i]
    FROM generate_series(1, n) AS i
    WHERE r_verdict[i] IN ('accepted', 'already_found', 'sold_out') ORDER BY i;

    RETURN QUERY SELECT i, r_verdict[i], r_find[i], r_at[i], r_status[i], r_score[i],
        r_reached[i], r_version[i], r_lat[i], r_lon[i], r_last[i]
    FROM generate_series(1, n) AS i;
END $$;

CREATE OR REPLACE FUNCTION claim_find(
    p_hunter bigint, p_expected_version bigint, p_hunt bigint, p_collectible bigint, p_clue bigint,
    p_lat double precision, p_lon double precision, p_accuracy double precision,
    p_distance double precision, p_scanned_at timestamptz, p_device text, p_address inet
) RETURNS TABLE (
    verdict text, find_id bigint, found_at timestamptz, mint_status text, score integer,
    reached_at timestamptz, version bigint, last_lat double precision, last_lon double precision,
    last_found_at timestamptz
) LANGUAGE sql AS $$
    SELECT c.verdict, c.find_id, c.found_at, c.mint_status, c.score, c.reached_at, c.version,
           c.last_lat, c.last_lon, c.last_found_at
    FROM claim_finds(ARRAY[p_hunter], ARRAY[p_expected_version], ARRAY[p_hunt],
        ARRAY[p_collectible], ARRAY[p_clue], ARRAY[p_lat], ARRAY[p_lon], ARRAY[p_accuracy],
        ARRAY[p_distance], ARRAY[p_scanned_at], ARRAY[p_device], ARRAY[p_address]) AS c
$$;

-- A find's live event, one statement per batch of finds: 0004's row trigger was deferred to
-- commit because claim_find inserted the find before it moved the hunter's score and the
-- collectible's counter; claim_finds now moves them first, so the events are written as the
-- finds are, with the values they will commit with, in one INSERT and one wake.
CREATE FUNCTION live_find_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT f.hunt_id, 'find', jsonb_build_object(
        'type', 'find',
        'hunt', hu.slug,
        'find', jsonb_build_object(
            'id', f.id,
            'clue_id', f.clue_id,
            'collectible', jsonb_build_object('key', c.key, 'name', c.name, 'episode', c.episode),
            'found_at', live_time(f.found_at)),
        'hunter', jsonb_build_object(
            'hunter_id', h.id,
            'name', live_name(h.handle, h.wallet, h.id),
            'score', s.score,
            'last_find_at', live_time(s.reached_at)),
        'clue', jsonb_build_object('kind', cl.kind, 'city', cl.city),
        'collectible', jsonb_build_object(
            'key', c.key, 'name', c.name, 'episode', c.episode, 'found', c.found,
            'supply', c.supply))
    FROM new_finds f
    JOIN hunts hu ON hu.id = f.hunt_id
    JOIN hunters h ON h.id = f.hunter_id
    JOIN collectibles c ON c.id = f.collectible_id
    JOIN clues cl ON cl.id = f.clue_id
    LEFT JOIN hunt_scores s ON s.hunt_id = f.hunt_id AND s.hunter_id = f.hunter_id
    ORDER BY f.id;
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER finds_live ON finds;
DROP FUNCTION live_find_event();
CREATE TRIGGER finds_live AFTER INSERT ON finds
    REFERENCING NEW TABLE AS new_finds FOR EACH STATEMENT EXECUTE FUNCTION live_find_events();
