-- The current schema: what applying every migration in order gives (a test proves it).
-- Regenerate with `make schema` after adding a migration; never edit by hand.
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
CREATE FUNCTION public.alert_reissue_link() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.kind = 'leaked_code' AND NEW.clue_id IS NOT NULL THEN
        NEW.detail := NEW.detail
            || jsonb_build_object('reissue', '/v1/clues/' || NEW.clue_id || '/reissue');
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION public.batch_ref_exists() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM 1 FROM mint_batches WHERE id = NEW.batch_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates the batch reference', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (batch_id)=(%s) is not present in table "mint_batches".',
                    NEW.batch_id);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION public.batch_refs_exist() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    named bigint;
    kept bigint;
    missing bigint;
BEGIN
    SELECT count(DISTINCT batch_id) INTO named FROM new_rows;
    IF named = 0 THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO kept FROM (
        SELECT 1 FROM mint_batches b
        WHERE b.id IN (SELECT batch_id FROM new_rows)
        FOR KEY SHARE
    ) locked;
    IF kept < named THEN
        SELECT n.batch_id INTO missing FROM new_rows n
        WHERE n.batch_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM mint_batches b WHERE b.id = n.batch_id)
        LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "%" violates the batch reference', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (batch_id)=(%s) is not present in table "mint_batches".',
                    missing);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION public.catalog_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Delivered on commit only, so listeners never load a row that is rolled back.
    PERFORM pg_notify('geohunt_catalog', TG_TABLE_NAME || ':' || NEW.id);
    RETURN NULL;
END $$;
CREATE FUNCTION public.catalog_touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.rev := nextval('catalog_rev');
    RETURN NEW;
END $$;
CREATE FUNCTION public.claim_find(p_hunter bigint, p_expected_version bigint, p_hunt bigint, p_collectible bigint, p_clue bigint, p_lat double precision, p_lon double precision, p_accuracy double precision, p_distance double precision, p_scanned_at timestamp with time zone, p_device text, p_address inet) RETURNS TABLE(verdict text, find_id bigint, found_at timestamp with time zone, mint_status text, score integer, reached_at timestamp with time zone, version bigint, last_lat double precision, last_lon double precision, last_found_at timestamp with time zone)
    LANGUAGE sql
    AS $$
    SELECT c.verdict, c.find_id, c.found_at, c.mint_status, c.score, c.reached_at, c.version,
           c.last_lat, c.last_lon, c.last_found_at
    FROM claim_finds(ARRAY[p_hunter], ARRAY[p_expected_version], ARRAY[p_hunt],
        ARRAY[p_collectible], ARRAY[p_clue], ARRAY[p_lat], ARRAY[p_lon], ARRAY[p_accuracy],
        ARRAY[p_distance], ARRAY[p_scanned_at], ARRAY[p_device], ARRAY[p_address]) AS c
$$;
CREATE FUNCTION public.claim_finds(p_hunter bigint[], p_expected_version bigint[], p_hunt bigint[], p_collectible bigint[], p_clue bigint[], p_lat double precision[], p_lon double precision[], p_accuracy double precision[], p_distance double precision[], p_scanned_at timestamp with time zone[], p_device text[], p_address inet[]) RETURNS TABLE(idx integer, verdict text, find_id bigint, found_at timestamp with time zone, mint_status text, score integer, reached_at timestamp with time zone, version bigint, last_lat double precision, last_lon double precision, last_found_at timestamp with time zone)
    LANGUAGE plpgsql
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
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
CREATE FUNCTION public.live_alert_event() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT NEW.hunt_id, 'alert', jsonb_build_object(
        'type', 'alert',
        'hunt', hu.slug,
        'alert', jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'clue_id', NEW.clue_id,
            'raised_at', live_time(NEW.raised_at), 'detail', NEW.detail))
    FROM hunts hu WHERE hu.id = NEW.hunt_id;
    PERFORM live_wake();
    RETURN NULL;
END $$;
CREATE FUNCTION public.live_find_events() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH events AS (
        SELECT f.hunt_id, hu.slug, f.id,
            -- the hunt's hundreds: each group of a hundred finds is one row
            (row_number() OVER (PARTITION BY f.hunt_id ORDER BY f.id) - 1) / 100 AS part,
            -- entries.FIND_FIELDS
            jsonb_build_array(
                f.id, f.clue_id, live_time(f.found_at),
                c.key, c.name, c.episode, c.found, c.supply,
                h.id, live_name(h.handle, h.wallet, h.id), s.score, live_time(s.reached_at),
                cl.kind, cl.city) AS event
        FROM new_finds f
        JOIN hunts hu ON hu.id = f.hunt_id
        JOIN hunters h ON h.id = f.hunter_id
        JOIN collectibles c ON c.id = f.collectible_id
        JOIN clues cl ON cl.id = f.clue_id
        LEFT JOIN hunt_scores s ON s.hunt_id = f.hunt_id AND s.hunter_id = f.hunter_id
    )
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT hunt_id, 'finds', jsonb_build_object(
        'type', 'finds', 'hunt', slug, 'events', jsonb_agg(event ORDER BY id))
    FROM events
    GROUP BY hunt_id, slug, part
    ORDER BY min(id);
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION public.live_mint_event() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM live_mint_events(ARRAY[NEW.find_id]);
    RETURN NULL;
END $$;
CREATE FUNCTION public.live_mint_events(p_find_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT f.hunt_id, 'mint', jsonb_build_object(
        'type', 'mint',
        'hunt', hu.slug,
        'find_id', f.id,
        'token_id', f.id,
        'hunter', jsonb_build_object(
            'hunter_id', h.id, 'name', live_name(h.handle, h.wallet, h.id)),
        'collectible', jsonb_build_object('key', c.key, 'name', c.name, 'episode', c.episode),
        'tx_hash', COALESCE(j.tx_hash, b.mined_hash),
        'contract', COALESCE(j.contract, b.contract),
        'chain_id', COALESCE(j.chain_id, b.chain_id),
        'minted_at', live_time(COALESCE(j.minted_at, j.updated_at)))
    FROM mint_jobs j
    JOIN finds f ON f.id = j.find_id
    JOIN hunts hu ON hu.id = f.hunt_id
    JOIN hunters h ON h.id = f.hunter_id
    JOIN collectibles c ON c.id = f.collectible_id
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    WHERE j.find_id = ANY(p_find_ids) AND j.status = 'minted'
    ORDER BY j.find_id;
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
END $$;
CREATE FUNCTION public.live_name(p_handle text, p_wallet text, p_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT COALESCE(p_handle, left(p_wallet, 6) || '…' || right(p_wallet, 4),
        'hunter ' || p_id::text)
$$;
CREATE FUNCTION public.live_time(t timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
CREATE FUNCTION public.live_wake() RETURNS void
    LANGUAGE sql
    AS $$
    -- Delivered on commit, and once per transaction however many events it wrote.
    SELECT pg_notify('geohunt_live', '')
$$;
CREATE FUNCTION public.mint_batch_id_kept() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'a mint batch keeps its id (% -> %)', OLD.id, NEW.id
        USING ERRCODE = 'foreign_key_violation';
END $$;
CREATE FUNCTION public.mint_batches_still_named() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    named bigint;
BEGIN
    SELECT o.id INTO named FROM old_batches o
    WHERE EXISTS (SELECT 1 FROM mint_jobs j WHERE j.batch_id = o.id)
        OR EXISTS (SELECT 1 FROM moment_mints m WHERE m.batch_id = o.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "mint_batches" violates the batch reference'
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (id)=(%s) is still referenced by a mint job.', named);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION public.mint_jobs_minted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
        SELECT m.hunt_id, hu.slug, m.find_id,
            -- the hunt's hundreds: each group of a hundred tokens is one row
            (row_number() OVER (PARTITION BY m.hunt_id ORDER BY m.find_id) - 1) / 100 AS part,
            -- entries.MINT_FIELDS
            jsonb_build_array(
                m.find_id, h.id, live_name(h.handle, h.wallet, h.id),
                c.key, c.name, c.episode,
                COALESCE(m.tx_hash, b.mined_hash), COALESCE(m.contract, b.contract),
                COALESCE(m.chain_id, b.chain_id), live_time(m.minted_at)) AS event
        FROM minted m
        JOIN hunts hu ON hu.id = m.hunt_id
        JOIN hunters h ON h.id = m.hunter_id
        JOIN collectibles c ON c.id = m.collectible_id
        LEFT JOIN mint_batches b ON b.id = m.batch_id
    )
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT hunt_id, 'mints', jsonb_build_object(
        'type', 'mints', 'hunt', slug, 'events', jsonb_agg(event ORDER BY find_id))
    FROM events
    GROUP BY hunt_id, slug, part
    ORDER BY min(find_id);
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION public.mint_jobs_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('geohunt_mint', 'queued');
    RETURN NULL;
END $$;
CREATE FUNCTION public.moments_on_wallet() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO moment_mints (moment_id, token_id, wallet)
    SELECT m.id, m.token_id, NEW.wallet FROM moments m
    WHERE m.author_id = NEW.id AND m.status IN ('approved', 'hidden')
    ORDER BY m.id
    ON CONFLICT (moment_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION public.record_rejection(p_hunter bigint, p_hunt bigint, p_clue bigint, p_verdict text, p_lat double precision, p_lon double precision, p_accuracy double precision, p_distance double precision, p_scanned_at timestamp with time zone, p_device text, p_address inet, p_static boolean, p_leak_distance_m double precision, p_leak_hunters integer, p_leak_window interval) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_hunters integer;
    v_alert bigint;
BEGIN
    INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                               distance_m, scanned_at, device_id, address)
    VALUES (p_hunter, p_hunt, p_clue, p_verdict, p_lat, p_lon, p_accuracy, p_distance,
            p_scanned_at, p_device, p_address);
    IF NOT (p_static AND p_verdict = 'outside_geofence' AND p_distance > p_leak_distance_m) THEN
        RETURN NULL;
    END IF;
    -- Serialise the count per clue so that a burst raises one alert, not several.
    PERFORM pg_advisory_xact_lock(7301, p_clue::integer);  -- 7301: the leak-count lock space
    IF EXISTS (SELECT 1 FROM alerts WHERE clue_id = p_clue AND kind = 'leaked_code'
               AND raised_at > now() - p_leak_window) THEN
        RETURN NULL;
    END IF;
    SELECT count(DISTINCT hunter_id) INTO v_hunters FROM scan_attempts
        WHERE clue_id = p_clue AND verdict = 'outside_geofence' AND distance_m > 1000
          AND distance_m > p_leak_distance_m AND at > now() - p_leak_window;
    IF v_hunters < p_leak_hunters THEN
        RETURN NULL;
    END IF;
    INSERT INTO alerts (hunt_id, kind, clue_id, detail)
    VALUES (p_hunt, 'leaked_code', p_clue, jsonb_build_object(
        'hunters', v_hunters, 'window_s', extract(epoch FROM p_leak_window)::integer,
        'min_distance_m', p_leak_distance_m,
        'message', 'Many hunters scanned this static code far from its site: a photo of it is circulating.'))
    RETURNING id INTO v_alert;
    RETURN v_alert;
END $$;
CREATE FUNCTION public.scan_rollup() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO scan_counts AS s (hunt_id, hour, clue_id, verdict, n)
    SELECT hunt_id, date_trunc('hour', at, 'UTC'), COALESCE(clue_id, 0), verdict, count(*)
    FROM new_attempts WHERE hunt_id IS NOT NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hunt_id, hour, clue_id, verdict) DO UPDATE SET n = s.n + EXCLUDED.n;
    WITH fresh AS (
        INSERT INTO collectible_scanners (collectible_id, hunter_id)
        SELECT DISTINCT c.collectible_id, a.hunter_id
        FROM new_attempts a JOIN clues c ON c.id = a.clue_id
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        RETURNING collectible_id
    )
    INSERT INTO collectible_counts AS cc (collectible_id, scanners)
    SELECT collectible_id, count(*) FROM fresh GROUP BY 1 ORDER BY 1
    ON CONFLICT (collectible_id) DO UPDATE SET scanners = cc.scanners + EXCLUDED.scanners;
    RETURN NULL;
END $$;
CREATE FUNCTION public.taste_on_finds() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
CREATE FUNCTION public.taste_on_privacy() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE public.alerts (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    kind text NOT NULL,
    clue_id bigint,
    raised_at timestamp with time zone DEFAULT now() NOT NULL,
    detail jsonb NOT NULL
);
CREATE SEQUENCE public.alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.alerts_id_seq OWNED BY public.alerts.id;
CREATE SEQUENCE public.catalog_rev
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
CREATE TABLE public.chain_cursors (
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    next_block bigint NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.chain_deployments (
    id bigint NOT NULL,
    chain_id bigint NOT NULL,
    address text NOT NULL,
    base_uri text NOT NULL,
    deployed_at timestamp with time zone DEFAULT now() NOT NULL,
    block_number bigint
);
CREATE SEQUENCE public.chain_deployments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.chain_deployments_id_seq OWNED BY public.chain_deployments.id;
CREATE TABLE public.clue_history (
    id bigint NOT NULL,
    clue_id bigint NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    changed_by text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    changes jsonb NOT NULL,
    CONSTRAINT clue_history_action_check CHECK ((action = ANY (ARRAY['created'::text, 'updated'::text, 'imported'::text, 'reissued'::text])))
);
CREATE SEQUENCE public.clue_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.clue_history_id_seq OWNED BY public.clue_history.id;
CREATE TABLE public.clues (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    collectible_id bigint NOT NULL,
    kind text NOT NULL,
    label text NOT NULL,
    city text,
    lat double precision,
    lon double precision,
    geofence jsonb,
    ar jsonb,
    active_from timestamp with time zone,
    active_until timestamp with time zone,
    max_finds integer,
    finds integer DEFAULT 0 NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    rev bigint DEFAULT nextval('public.catalog_rev'::regclass) NOT NULL,
    code_version integer DEFAULT 0 NOT NULL,
    ref text,
    CONSTRAINT clues_ar_anchor CHECK (((kind = 'ar'::text) = (ar IS NOT NULL))),
    CONSTRAINT clues_ar_anchor_shape CHECK (((ar IS NULL) OR ((jsonb_typeof(ar) = 'object'::text) AND (jsonb_typeof((ar -> 'asset_url'::text)) = 'string'::text)))),
    CONSTRAINT clues_ar_located CHECK (((kind <> 'ar'::text) OR ((lat IS NOT NULL) AND (geofence IS NOT NULL)))),
    CONSTRAINT clues_check CHECK (((max_finds IS NULL) OR (finds <= max_finds))),
    CONSTRAINT clues_check1 CHECK (((lat IS NULL) = (lon IS NULL))),
    CONSTRAINT clues_code_version_check CHECK ((code_version >= 0)),
    CONSTRAINT clues_kind_check CHECK ((kind = ANY (ARRAY['billboard'::text, 'digital'::text, 'social'::text, 'ar'::text]))),
    CONSTRAINT clues_max_finds_check CHECK (((max_finds IS NULL) OR (max_finds >= 0))),
    CONSTRAINT clues_ref_check CHECK (((ref IS NULL) OR ((length(ref) >= 1) AND (length(ref) <= 200))))
);
CREATE SEQUENCE public.clues_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.clues_id_seq OWNED BY public.clues.id;
CREATE TABLE public.collectible_art (
    sha256 text NOT NULL,
    media_type text NOT NULL,
    data bytea NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT collectible_art_data_check CHECK (((octet_length(data) >= 1) AND (octet_length(data) <= 2097152))),
    CONSTRAINT collectible_art_height_check CHECK (((height >= 1) AND (height <= 4096))),
    CONSTRAINT collectible_art_media_type_check CHECK ((media_type = 'image/webp'::text)),
    CONSTRAINT collectible_art_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT collectible_art_width_check CHECK (((width >= 1) AND (width <= 4096)))
);
CREATE TABLE public.collectible_counts (
    collectible_id bigint NOT NULL,
    scanners bigint DEFAULT 0 NOT NULL,
    minted bigint DEFAULT 0 NOT NULL
);
CREATE TABLE public.collectible_scanners (
    collectible_id bigint NOT NULL,
    hunter_id bigint NOT NULL
);
CREATE TABLE public.collectibles (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    episode text,
    image_url text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    supply integer,
    found integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    rev bigint DEFAULT nextval('public.catalog_rev'::regclass) NOT NULL,
    CONSTRAINT collectibles_check CHECK (((supply IS NULL) OR (found <= supply))),
    CONSTRAINT collectibles_supply_check CHECK (((supply IS NULL) OR (supply >= 0)))
);
CREATE SEQUENCE public.collectibles_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.collectibles_id_seq OWNED BY public.collectibles.id;
CREATE TABLE public.engravings (
    find_id bigint NOT NULL,
    hunter_id bigint NOT NULL,
    note text,
    sketch bytea,
    sketch_type text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT engravings_check CHECK (((note IS NOT NULL) OR (sketch IS NOT NULL))),
    CONSTRAINT engravings_check1 CHECK (((sketch IS NULL) = (sketch_type IS NULL))),
    CONSTRAINT engravings_note_check CHECK (((note IS NULL) OR (char_length(note) <= 280))),
    CONSTRAINT engravings_sketch_type_check CHECK ((sketch_type = ANY (ARRAY['image/png'::text, 'image/svg+xml'::text])))
);
CREATE TABLE public.finds (
    id bigint NOT NULL,
    hunter_id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    collectible_id bigint NOT NULL,
    clue_id bigint NOT NULL,
    found_at timestamp with time zone NOT NULL,
    lat double precision,
    lon double precision,
    accuracy_m double precision,
    CONSTRAINT finds_id_below_moment_tokens CHECK ((id < '4611686018427387904'::bigint))
);
CREATE SEQUENCE public.finds_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    MAXVALUE 4611686018427387903
    CACHE 1;
ALTER SEQUENCE public.finds_id_seq OWNED BY public.finds.id;
CREATE TABLE public.hunt_scores (
    hunt_id bigint NOT NULL,
    hunter_id bigint NOT NULL,
    score integer NOT NULL,
    reached_at timestamp with time zone NOT NULL
);
CREATE TABLE public.hunters (
    id bigint NOT NULL,
    handle text,
    wallet text,
    score integer DEFAULT 0 NOT NULL,
    finds_version bigint DEFAULT 0 NOT NULL,
    last_lat double precision,
    last_lon double precision,
    last_found_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    discoverable boolean DEFAULT false NOT NULL,
    CONSTRAINT hunters_wallet_check CHECK (((wallet IS NULL) OR (wallet ~ '^0x[0-9a-f]{40}$'::text)))
);
CREATE SEQUENCE public.hunters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.hunters_id_seq OWNED BY public.hunters.id;
CREATE TABLE public.hunts (
    id bigint NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    rules jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    rev bigint DEFAULT nextval('public.catalog_rev'::regclass) NOT NULL,
    CONSTRAINT hunts_check CHECK ((ends_at > starts_at))
);
CREATE SEQUENCE public.hunts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.hunts_id_seq OWNED BY public.hunts.id;
CREATE SEQUENCE public.live_event_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
CREATE TABLE public.live_events (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    seq bigint,
    delivered_at timestamp with time zone,
    CONSTRAINT live_events_check CHECK (((delivered_at IS NULL) OR (seq IS NOT NULL))),
    CONSTRAINT live_events_kind_check CHECK ((kind = ANY (ARRAY['find'::text, 'finds'::text, 'mint'::text, 'mints'::text, 'alert'::text])))
);
CREATE SEQUENCE public.live_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.live_events_id_seq OWNED BY public.live_events.id;
CREATE TABLE public.mint_batches (
    id bigint NOT NULL,
    signer text NOT NULL,
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    nonce bigint NOT NULL,
    token_ids bigint[] NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    mined_hash text,
    block_number bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    settled_at timestamp with time zone,
    swap_id bigint,
    CONSTRAINT mint_batches_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'mined'::text, 'reverted'::text, 'dropped'::text])))
);
CREATE SEQUENCE public.mint_batches_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.mint_batches_id_seq OWNED BY public.mint_batches.id;
CREATE TABLE public.mint_jobs (
    find_id bigint NOT NULL,
    wallet text NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    batch_id bigint,
    attempts integer DEFAULT 0 NOT NULL,
    error text,
    tx_hash text,
    contract text,
    chain_id bigint,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    minted_at timestamp with time zone,
    CONSTRAINT mint_jobs_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'submitted'::text, 'minted'::text, 'failed'::text]))),
    CONSTRAINT mint_jobs_wallet_check CHECK ((wallet ~ '^0x[0-9a-f]{40}$'::text))
);
CREATE TABLE public.mint_signers (
    signer text NOT NULL,
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    local_nonce bigint,
    chain_nonce bigint,
    balance_wei numeric(78,0),
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.mint_txs (
    hash text NOT NULL,
    batch_id bigint NOT NULL,
    raw bytea NOT NULL,
    max_fee_per_gas numeric(78,0) NOT NULL,
    max_priority_fee_per_gas numeric(78,0) NOT NULL,
    signed_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone
);
CREATE TABLE public.moment_decisions (
    id bigint NOT NULL,
    moment_id bigint NOT NULL,
    action text NOT NULL,
    status text NOT NULL,
    reason text,
    actor_role text NOT NULL,
    actor text,
    reports integer,
    decided_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT moment_decisions_action_check CHECK ((action = ANY (ARRAY['approve'::text, 'reject'::text, 'hide'::text]))),
    CONSTRAINT moment_decisions_actor_role_check CHECK ((actor_role = ANY (ARRAY['organiser'::text, 'reports'::text]))),
    CONSTRAINT moment_decisions_check CHECK (((actor_role = 'organiser'::text) = (actor IS NOT NULL))),
    CONSTRAINT moment_decisions_check1 CHECK (((action <> 'reject'::text) OR (reason IS NOT NULL))),
    CONSTRAINT moment_decisions_reason_check CHECK (((reason IS NULL) OR ((char_length(reason) >= 1) AND (char_length(reason) <= 500)))),
    CONSTRAINT moment_decisions_status_check CHECK ((status = ANY (ARRAY['approved'::text, 'rejected'::text, 'hidden'::text])))
);
CREATE SEQUENCE public.moment_decisions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.moment_decisions_id_seq OWNED BY public.moment_decisions.id;
CREATE TABLE public.moment_folds (
    hunt_id bigint NOT NULL
);
CREATE TABLE public.moment_love_deltas (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    moment_id bigint NOT NULL,
    delta smallint NOT NULL,
    CONSTRAINT moment_love_deltas_delta_check CHECK ((delta = ANY (ARRAY['-1'::integer, 1])))
);
CREATE SEQUENCE public.moment_love_deltas_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.moment_love_deltas_id_seq OWNED BY public.moment_love_deltas.id;
CREATE TABLE public.moment_loves (
    moment_id bigint NOT NULL,
    hunter_id bigint NOT NULL,
    loved_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.moment_mints (
    moment_id bigint NOT NULL,
    token_id bigint NOT NULL,
    wallet text NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    batch_id bigint,
    attempts integer DEFAULT 0 NOT NULL,
    error text,
    tx_hash text,
    contract text,
    chain_id bigint,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    minted_at timestamp with time zone,
    CONSTRAINT moment_mints_check CHECK ((token_id = ('4611686018427387904'::bigint + moment_id))),
    CONSTRAINT moment_mints_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'submitted'::text, 'minted'::text, 'failed'::text]))),
    CONSTRAINT moment_mints_wallet_check CHECK ((wallet ~ '^0x[0-9a-f]{40}$'::text))
);
CREATE TABLE public.moment_quotas (
    hunt_id bigint NOT NULL,
    hunter_id bigint NOT NULL,
    made integer NOT NULL,
    CONSTRAINT moment_quotas_made_check CHECK ((made >= 0))
);
CREATE TABLE public.moment_reports (
    moment_id bigint NOT NULL,
    review_round integer NOT NULL,
    hunter_id bigint NOT NULL,
    reason text NOT NULL,
    reported_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT moment_reports_reason_check CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 500)))
);
CREATE TABLE public.moments (
    id bigint NOT NULL,
    hunt_id bigint NOT NULL,
    collectible_id bigint NOT NULL,
    author_id bigint NOT NULL,
    scene_s integer NOT NULL,
    title text NOT NULL,
    note text,
    sketch bytea,
    sketch_type text,
    status text DEFAULT 'pending'::text NOT NULL,
    token_id bigint,
    loves integer DEFAULT 0 NOT NULL,
    reports integer DEFAULT 0 NOT NULL,
    review_round integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    decided_at timestamp with time zone,
    CONSTRAINT moments_check CHECK ((token_id = ('4611686018427387904'::bigint + id))),
    CONSTRAINT moments_check1 CHECK (((sketch IS NULL) = (sketch_type IS NULL))),
    CONSTRAINT moments_check2 CHECK (((status = 'pending'::text) = ((token_id IS NULL) AND (decided_at IS NULL)))),
    CONSTRAINT moments_check3 CHECK (((status <> ALL (ARRAY['approved'::text, 'hidden'::text])) OR (token_id IS NOT NULL))),
    CONSTRAINT moments_note_check CHECK (((note IS NULL) OR ((char_length(note) >= 1) AND (char_length(note) <= 280)))),
    CONSTRAINT moments_scene_s_check CHECK (((scene_s >= 0) AND (scene_s <= 7200))),
    CONSTRAINT moments_sketch_type_check CHECK ((sketch_type = ANY (ARRAY['image/png'::text, 'image/svg+xml'::text]))),
    CONSTRAINT moments_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text, 'hidden'::text]))),
    CONSTRAINT moments_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 80)))
);
ALTER TABLE public.moments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.moments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    MAXVALUE 4611686018427387903
    CACHE 1
);
CREATE TABLE public.passkey_challenges (
    challenge bytea NOT NULL,
    purpose text NOT NULL,
    hunter_id bigint,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT passkey_challenges_check CHECK (((purpose = 'register'::text) = (hunter_id IS NOT NULL))),
    CONSTRAINT passkey_challenges_purpose_check CHECK ((purpose = ANY (ARRAY['register'::text, 'login'::text])))
);
CREATE TABLE public.passkey_users (
    hunter_id bigint NOT NULL,
    user_handle bytea NOT NULL,
    CONSTRAINT passkey_users_user_handle_check CHECK (((octet_length(user_handle) >= 16) AND (octet_length(user_handle) <= 64)))
);
CREATE TABLE public.passkeys (
    id bigint NOT NULL,
    credential_id bytea NOT NULL,
    hunter_id bigint NOT NULL,
    public_key bytea NOT NULL,
    sign_count bigint DEFAULT 0 NOT NULL,
    transports text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    CONSTRAINT passkeys_credential_id_check CHECK (((octet_length(credential_id) >= 1) AND (octet_length(credential_id) <= 1023))),
    CONSTRAINT passkeys_sign_count_check CHECK (((sign_count >= 0) AND (sign_count <= '4294967295'::bigint)))
);
CREATE SEQUENCE public.passkeys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.passkeys_id_seq OWNED BY public.passkeys.id;
CREATE TABLE public.scan_attempts (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    hunter_id bigint NOT NULL,
    hunt_id bigint,
    clue_id bigint,
    verdict text NOT NULL,
    lat double precision,
    lon double precision,
    accuracy_m double precision,
    distance_m double precision,
    scanned_at timestamp with time zone,
    device_id text,
    address inet,
    find_id bigint
);
CREATE SEQUENCE public.scan_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.scan_attempts_id_seq OWNED BY public.scan_attempts.id;
CREATE TABLE public.scan_counts (
    hunt_id bigint NOT NULL,
    hour timestamp with time zone NOT NULL,
    clue_id bigint NOT NULL,
    verdict text NOT NULL,
    n bigint NOT NULL
);
CREATE TABLE public.schema_migrations (
    version text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.swaps (
    id bigint NOT NULL,
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    maker text NOT NULL,
    taker text NOT NULL,
    maker_hunter_id bigint NOT NULL,
    give_token_id bigint NOT NULL,
    want_token_id bigint NOT NULL,
    give_collectible_id bigint NOT NULL,
    want_collectible_id bigint NOT NULL,
    deadline_s bigint NOT NULL,
    nonce numeric(78,0) NOT NULL,
    offer_hash text NOT NULL,
    created_block bigint NOT NULL,
    maker_signature bytea,
    taker_signature bytea,
    status text DEFAULT 'awaiting_maker_signature'::text NOT NULL,
    error text,
    tx_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    accepted_at timestamp with time zone,
    settled_at timestamp with time zone,
    CONSTRAINT swaps_check CHECK ((maker <> taker)),
    CONSTRAINT swaps_check1 CHECK ((give_token_id <> want_token_id)),
    CONSTRAINT swaps_check2 CHECK (((status <> ALL (ARRAY['open'::text, 'accepted'::text, 'submitted'::text, 'completed'::text])) OR (maker_signature IS NOT NULL))),
    CONSTRAINT swaps_check3 CHECK (((status <> ALL (ARRAY['accepted'::text, 'submitted'::text, 'completed'::text])) OR ((taker_signature IS NOT NULL) AND (accepted_at IS NOT NULL)))),
    CONSTRAINT swaps_check4 CHECK (((status = 'failed'::text) = (error IS NOT NULL))),
    CONSTRAINT swaps_contract_check CHECK ((contract ~ '^0x[0-9a-f]{40}$'::text)),
    CONSTRAINT swaps_created_block_check CHECK ((created_block >= 0)),
    CONSTRAINT swaps_deadline_s_check CHECK ((deadline_s > 0)),
    CONSTRAINT swaps_error_check CHECK (((error IS NULL) OR ((char_length(error) >= 1) AND (char_length(error) <= 500)))),
    CONSTRAINT swaps_give_token_id_check CHECK ((give_token_id > 0)),
    CONSTRAINT swaps_maker_check CHECK ((maker ~ '^0x[0-9a-f]{40}$'::text)),
    CONSTRAINT swaps_nonce_check CHECK ((nonce >= (0)::numeric)),
    CONSTRAINT swaps_offer_hash_check CHECK ((offer_hash ~ '^0x[0-9a-f]{64}$'::text)),
    CONSTRAINT swaps_status_check CHECK ((status = ANY (ARRAY['awaiting_maker_signature'::text, 'open'::text, 'accepted'::text, 'submitted'::text, 'completed'::text, 'failed'::text, 'cancelled'::text, 'declined'::text, 'expired'::text]))),
    CONSTRAINT swaps_taker_check CHECK ((taker ~ '^0x[0-9a-f]{40}$'::text)),
    CONSTRAINT swaps_tx_hash_check CHECK (((tx_hash IS NULL) OR (tx_hash ~ '^0x[0-9a-f]{64}$'::text))),
    CONSTRAINT swaps_want_token_id_check CHECK ((want_token_id > 0))
);
ALTER TABLE public.swaps ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.swaps_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE VIEW public.swaps_shown AS
 SELECT s.id,
    s.status,
    s.chain_id,
    s.contract,
    s.maker,
    s.taker,
    s.give_token_id,
    s.want_token_id,
    s.deadline_s,
    s.nonce,
    s.offer_hash,
    s.maker_signature,
    s.taker_signature,
    s.error,
    s.tx_hash,
    s.created_at,
    s.updated_at,
    gh.slug AS give_hunt,
    gc.key AS give_key,
    gc.name AS give_name,
    wh.slug AS want_hunt,
    wc.key AS want_key,
    wc.name AS want_name
   FROM ((((public.swaps s
     JOIN public.collectibles gc ON ((gc.id = s.give_collectible_id)))
     JOIN public.hunts gh ON ((gh.id = gc.hunt_id)))
     JOIN public.collectibles wc ON ((wc.id = s.want_collectible_id)))
     JOIN public.hunts wh ON ((wh.id = wc.hunt_id)));
CREATE TABLE public.taste_groups (
    collectibles bigint[] NOT NULL,
    members integer NOT NULL
);
CREATE TABLE public.taste_sets (
    hunter_id bigint NOT NULL,
    collectibles bigint[] NOT NULL,
    discoverable boolean NOT NULL
);
CREATE TABLE public.token_holders (
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    token_id bigint NOT NULL,
    owner text NOT NULL,
    transfers integer DEFAULT 0 NOT NULL,
    block_number bigint NOT NULL
);
CREATE TABLE public.token_issues (
    id bigint NOT NULL,
    issuer_role text NOT NULL,
    issuer_sub text NOT NULL,
    issuer_hunt text,
    role text NOT NULL,
    sub text NOT NULL,
    hunt text,
    ttl_s integer NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.token_issues_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.token_issues_id_seq OWNED BY public.token_issues.id;
CREATE TABLE public.token_transfers (
    chain_id bigint NOT NULL,
    contract text NOT NULL,
    block_number bigint NOT NULL,
    log_index integer NOT NULL,
    tx_hash text NOT NULL,
    token_id bigint NOT NULL,
    from_addr text NOT NULL,
    to_addr text NOT NULL,
    secondary boolean GENERATED ALWAYS AS ((from_addr <> '0x0000000000000000000000000000000000000000'::text)) STORED
);
ALTER TABLE ONLY public.alerts ALTER COLUMN id SET DEFAULT nextval('public.alerts_id_seq'::regclass);
ALTER TABLE ONLY public.chain_deployments ALTER COLUMN id SET DEFAULT nextval('public.chain_deployments_id_seq'::regclass);
ALTER TABLE ONLY public.clue_history ALTER COLUMN id SET DEFAULT nextval('public.clue_history_id_seq'::regclass);
ALTER TABLE ONLY public.clues ALTER COLUMN id SET DEFAULT nextval('public.clues_id_seq'::regclass);
ALTER TABLE ONLY public.collectibles ALTER COLUMN id SET DEFAULT nextval('public.collectibles_id_seq'::regclass);
ALTER TABLE ONLY public.finds ALTER COLUMN id SET DEFAULT nextval('public.finds_id_seq'::regclass);
ALTER TABLE ONLY public.hunters ALTER COLUMN id SET DEFAULT nextval('public.hunters_id_seq'::regclass);
ALTER TABLE ONLY public.hunts ALTER COLUMN id SET DEFAULT nextval('public.hunts_id_seq'::regclass);
ALTER TABLE ONLY public.live_events ALTER COLUMN id SET DEFAULT nextval('public.live_events_id_seq'::regclass);
ALTER TABLE ONLY public.mint_batches ALTER COLUMN id SET DEFAULT nextval('public.mint_batches_id_seq'::regclass);
ALTER TABLE ONLY public.moment_decisions ALTER COLUMN id SET DEFAULT nextval('public.moment_decisions_id_seq'::regclass);
ALTER TABLE ONLY public.moment_love_deltas ALTER COLUMN id SET DEFAULT nextval('public.moment_love_deltas_id_seq'::regclass);
ALTER TABLE ONLY public.passkeys ALTER COLUMN id SET DEFAULT nextval('public.passkeys_id_seq'::regclass);
ALTER TABLE ONLY public.scan_attempts ALTER COLUMN id SET DEFAULT nextval('public.scan_attempts_id_seq'::regclass);
ALTER TABLE ONLY public.token_issues ALTER COLUMN id SET DEFAULT nextval('public.token_issues_id_seq'::regclass);
ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.chain_cursors
    ADD CONSTRAINT chain_cursors_pkey PRIMARY KEY (chain_id, contract);
ALTER TABLE ONLY public.chain_deployments
    ADD CONSTRAINT chain_deployments_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.clue_history
    ADD CONSTRAINT clue_history_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.clues
    ADD CONSTRAINT clues_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.collectible_art
    ADD CONSTRAINT collectible_art_pkey PRIMARY KEY (sha256);
ALTER TABLE ONLY public.collectible_counts
    ADD CONSTRAINT collectible_counts_pkey PRIMARY KEY (collectible_id);
ALTER TABLE ONLY public.collectible_scanners
    ADD CONSTRAINT collectible_scanners_pkey PRIMARY KEY (collectible_id, hunter_id);
ALTER TABLE ONLY public.collectibles
    ADD CONSTRAINT collectibles_hunt_id_key_key UNIQUE (hunt_id, key);
ALTER TABLE ONLY public.collectibles
    ADD CONSTRAINT collectibles_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.engravings
    ADD CONSTRAINT engravings_pkey PRIMARY KEY (find_id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_hunter_id_collectible_id_key UNIQUE (hunter_id, collectible_id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.hunt_scores
    ADD CONSTRAINT hunt_scores_pkey PRIMARY KEY (hunt_id, hunter_id);
ALTER TABLE ONLY public.hunters
    ADD CONSTRAINT hunters_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.hunters
    ADD CONSTRAINT hunters_wallet_key UNIQUE (wallet);
ALTER TABLE ONLY public.hunts
    ADD CONSTRAINT hunts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.hunts
    ADD CONSTRAINT hunts_slug_key UNIQUE (slug);
ALTER TABLE ONLY public.live_events
    ADD CONSTRAINT live_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.live_events
    ADD CONSTRAINT live_events_seq_key UNIQUE (seq);
ALTER TABLE ONLY public.mint_batches
    ADD CONSTRAINT mint_batches_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.mint_jobs
    ADD CONSTRAINT mint_jobs_pkey PRIMARY KEY (find_id);
ALTER TABLE ONLY public.mint_signers
    ADD CONSTRAINT mint_signers_pkey PRIMARY KEY (signer, chain_id);
ALTER TABLE ONLY public.mint_txs
    ADD CONSTRAINT mint_txs_pkey PRIMARY KEY (hash);
ALTER TABLE ONLY public.moment_decisions
    ADD CONSTRAINT moment_decisions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.moment_folds
    ADD CONSTRAINT moment_folds_pkey PRIMARY KEY (hunt_id);
ALTER TABLE ONLY public.moment_love_deltas
    ADD CONSTRAINT moment_love_deltas_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.moment_loves
    ADD CONSTRAINT moment_loves_pkey PRIMARY KEY (moment_id, hunter_id);
ALTER TABLE ONLY public.moment_mints
    ADD CONSTRAINT moment_mints_pkey PRIMARY KEY (moment_id);
ALTER TABLE ONLY public.moment_mints
    ADD CONSTRAINT moment_mints_token_id_key UNIQUE (token_id);
ALTER TABLE ONLY public.moment_quotas
    ADD CONSTRAINT moment_quotas_pkey PRIMARY KEY (hunt_id, hunter_id);
ALTER TABLE ONLY public.moment_reports
    ADD CONSTRAINT moment_reports_pkey PRIMARY KEY (moment_id, review_round, hunter_id);
ALTER TABLE ONLY public.moments
    ADD CONSTRAINT moments_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.moments
    ADD CONSTRAINT moments_token_id_key UNIQUE (token_id);
ALTER TABLE ONLY public.passkey_challenges
    ADD CONSTRAINT passkey_challenges_pkey PRIMARY KEY (challenge);
ALTER TABLE ONLY public.passkey_users
    ADD CONSTRAINT passkey_users_pkey PRIMARY KEY (hunter_id);
ALTER TABLE ONLY public.passkey_users
    ADD CONSTRAINT passkey_users_user_handle_key UNIQUE (user_handle);
ALTER TABLE ONLY public.passkeys
    ADD CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id);
ALTER TABLE ONLY public.passkeys
    ADD CONSTRAINT passkeys_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.scan_attempts
    ADD CONSTRAINT scan_attempts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.scan_counts
    ADD CONSTRAINT scan_counts_pkey PRIMARY KEY (hunt_id, hour, clue_id, verdict);
ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);
ALTER TABLE ONLY public.swaps
    ADD CONSTRAINT swaps_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.taste_groups
    ADD CONSTRAINT taste_groups_pkey PRIMARY KEY (collectibles);
ALTER TABLE ONLY public.taste_sets
    ADD CONSTRAINT taste_sets_pkey PRIMARY KEY (hunter_id);
ALTER TABLE ONLY public.token_holders
    ADD CONSTRAINT token_holders_pkey PRIMARY KEY (chain_id, contract, token_id);
ALTER TABLE ONLY public.token_issues
    ADD CONSTRAINT token_issues_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.token_transfers
    ADD CONSTRAINT token_transfers_pkey PRIMARY KEY (chain_id, contract, block_number, log_index);
CREATE INDEX alerts_hunt_idx ON public.alerts USING btree (hunt_id, id);
CREATE INDEX chain_deployments_chain_idx ON public.chain_deployments USING btree (chain_id, id DESC);
CREATE INDEX clue_history_clue_idx ON public.clue_history USING btree (clue_id, id);
CREATE INDEX clues_hunt_idx ON public.clues USING btree (hunt_id, id);
CREATE UNIQUE INDEX clues_ref_idx ON public.clues USING btree (hunt_id, ref) WHERE (ref IS NOT NULL);
CREATE INDEX clues_rev_idx ON public.clues USING btree (rev);
CREATE INDEX finds_first_idx ON public.finds USING btree (collectible_id, found_at);
CREATE INDEX finds_hunt_recent_idx ON public.finds USING btree (hunt_id, id);
CREATE INDEX finds_hunter_idx ON public.finds USING btree (hunter_id, id);
CREATE INDEX hunt_scores_rank_idx ON public.hunt_scores USING btree (hunt_id, score DESC, reached_at);
CREATE UNIQUE INDEX hunters_handle_idx ON public.hunters USING btree (lower(handle));
CREATE INDEX live_events_age_idx ON public.live_events USING btree (delivered_at) WHERE (delivered_at IS NOT NULL);
CREATE INDEX live_events_delivered_idx ON public.live_events USING btree (hunt_id, seq) WHERE (delivered_at IS NOT NULL);
CREATE INDEX live_events_pending_idx ON public.live_events USING btree (id) WHERE (delivered_at IS NULL);
CREATE UNIQUE INDEX mint_batches_nonce_idx ON public.mint_batches USING btree (chain_id, signer, nonce) WHERE (status <> 'dropped'::text);
CREATE INDEX mint_batches_pending_idx ON public.mint_batches USING btree (signer, nonce) WHERE (status = 'pending'::text);
CREATE UNIQUE INDEX mint_batches_swap_idx ON public.mint_batches USING btree (swap_id) WHERE ((swap_id IS NOT NULL) AND (status <> 'dropped'::text));
CREATE INDEX mint_jobs_batch_idx ON public.mint_jobs USING btree (batch_id) WHERE (status = 'submitted'::text);
CREATE INDEX mint_jobs_queued_idx ON public.mint_jobs USING btree (find_id) WHERE (status = 'queued'::text);
CREATE INDEX mint_txs_batch_idx ON public.mint_txs USING btree (batch_id, signed_at);
CREATE INDEX moment_decisions_moment_idx ON public.moment_decisions USING btree (moment_id, id);
CREATE INDEX moment_love_deltas_hunt_idx ON public.moment_love_deltas USING btree (hunt_id, moment_id);
CREATE INDEX moment_loves_hunter_idx ON public.moment_loves USING btree (hunter_id, moment_id);
CREATE INDEX moment_mints_batch_idx ON public.moment_mints USING btree (batch_id) WHERE (status = 'submitted'::text);
CREATE INDEX moment_mints_queued_idx ON public.moment_mints USING btree (token_id) WHERE (status = 'queued'::text);
CREATE INDEX moments_author_idx ON public.moments USING btree (author_id, id);
CREATE INDEX moments_collectible_idx ON public.moments USING btree (collectible_id, status, id);
CREATE INDEX moments_loved_idx ON public.moments USING btree (hunt_id, status, loves, id);
CREATE INDEX moments_recent_idx ON public.moments USING btree (hunt_id, status, id);
CREATE INDEX passkey_challenges_expiry_idx ON public.passkey_challenges USING btree (expires_at);
CREATE INDEX passkeys_hunter_idx ON public.passkeys USING btree (hunter_id);
CREATE INDEX scan_attempts_remote_idx ON public.scan_attempts USING btree (clue_id, at) WHERE ((verdict = 'outside_geofence'::text) AND (distance_m > (1000)::double precision));
CREATE INDEX swaps_accepted_idx ON public.swaps USING btree (id) WHERE (status = 'accepted'::text);
CREATE INDEX swaps_completed_give_idx ON public.swaps USING btree (give_collectible_id) WHERE (status = 'completed'::text);
CREATE INDEX swaps_completed_want_idx ON public.swaps USING btree (want_collectible_id) WHERE (status = 'completed'::text);
CREATE INDEX swaps_deadline_idx ON public.swaps USING btree (deadline_s) WHERE (status = ANY (ARRAY['awaiting_maker_signature'::text, 'open'::text, 'accepted'::text]));
CREATE INDEX swaps_give_idx ON public.swaps USING btree (give_token_id) WHERE (status = ANY (ARRAY['awaiting_maker_signature'::text, 'open'::text, 'accepted'::text]));
CREATE INDEX swaps_maker_idx ON public.swaps USING btree (maker, id);
CREATE UNIQUE INDEX swaps_offer_idx ON public.swaps USING btree (chain_id, contract, offer_hash);
CREATE INDEX swaps_taker_idx ON public.swaps USING btree (taker, id);
CREATE INDEX swaps_want_idx ON public.swaps USING btree (want_token_id) WHERE (status = ANY (ARRAY['awaiting_maker_signature'::text, 'open'::text, 'accepted'::text]));
CREATE INDEX taste_groups_overlap_idx ON public.taste_groups USING gin (collectibles);
CREATE INDEX taste_sets_set_idx ON public.taste_sets USING btree (collectibles, hunter_id) WHERE discoverable;
CREATE INDEX token_holders_owner_idx ON public.token_holders USING btree (owner, token_id);
CREATE INDEX token_holders_token_idx ON public.token_holders USING btree (token_id);
CREATE INDEX token_issues_sub_idx ON public.token_issues USING btree (role, sub, issued_at DESC);
CREATE INDEX token_transfers_secondary_idx ON public.token_transfers USING btree (contract, token_id) WHERE secondary;
CREATE INDEX token_transfers_token_idx ON public.token_transfers USING btree (token_id);
CREATE TRIGGER alerts_live AFTER INSERT ON public.alerts FOR EACH ROW EXECUTE FUNCTION public.live_alert_event();
CREATE TRIGGER alerts_reissue_link BEFORE INSERT ON public.alerts FOR EACH ROW EXECUTE FUNCTION public.alert_reissue_link();
CREATE TRIGGER clues_notify AFTER INSERT OR UPDATE OF kind, label, city, lat, lon, geofence, ar, active_from, active_until, max_finds, active, code_version ON public.clues FOR EACH ROW EXECUTE FUNCTION public.catalog_notify();
CREATE TRIGGER clues_touch BEFORE UPDATE OF kind, label, city, lat, lon, geofence, ar, active_from, active_until, max_finds, active, code_version ON public.clues FOR EACH ROW EXECUTE FUNCTION public.catalog_touch();
CREATE TRIGGER collectibles_notify AFTER INSERT OR UPDATE OF key, name, episode, image_url, description, supply ON public.collectibles FOR EACH ROW EXECUTE FUNCTION public.catalog_notify();
CREATE TRIGGER collectibles_touch BEFORE UPDATE OF key, name, episode, image_url, description, supply ON public.collectibles FOR EACH ROW EXECUTE FUNCTION public.catalog_touch();
CREATE TRIGGER finds_live AFTER INSERT ON public.finds REFERENCING NEW TABLE AS new_finds FOR EACH STATEMENT EXECUTE FUNCTION public.live_find_events();
CREATE TRIGGER finds_taste AFTER INSERT ON public.finds REFERENCING NEW TABLE AS new_finds FOR EACH STATEMENT EXECUTE FUNCTION public.taste_on_finds();
CREATE TRIGGER hunters_moment_mints AFTER UPDATE OF wallet ON public.hunters FOR EACH ROW WHEN (((old.wallet IS NULL) AND (new.wallet IS NOT NULL))) EXECUTE FUNCTION public.moments_on_wallet();
CREATE TRIGGER hunters_taste AFTER UPDATE OF discoverable ON public.hunters FOR EACH ROW WHEN ((old.discoverable IS DISTINCT FROM new.discoverable)) EXECUTE FUNCTION public.taste_on_privacy();
CREATE TRIGGER hunts_notify AFTER INSERT OR UPDATE OF slug, name, description, starts_at, ends_at, rules ON public.hunts FOR EACH ROW EXECUTE FUNCTION public.catalog_notify();
CREATE TRIGGER hunts_touch BEFORE UPDATE OF slug, name, description, starts_at, ends_at, rules ON public.hunts FOR EACH ROW EXECUTE FUNCTION public.catalog_touch();
CREATE TRIGGER mint_batches_deleted AFTER DELETE ON public.mint_batches REFERENCING OLD TABLE AS old_batches FOR EACH STATEMENT EXECUTE FUNCTION public.mint_batches_still_named();
CREATE TRIGGER mint_batches_id_kept BEFORE UPDATE OF id ON public.mint_batches FOR EACH ROW WHEN ((old.id IS DISTINCT FROM new.id)) EXECUTE FUNCTION public.mint_batch_id_kept();
CREATE TRIGGER mint_jobs_batch_ref AFTER INSERT ON public.mint_jobs FOR EACH ROW WHEN ((new.batch_id IS NOT NULL)) EXECUTE FUNCTION public.batch_ref_exists();
CREATE TRIGGER mint_jobs_batch_refs AFTER UPDATE ON public.mint_jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.batch_refs_exist();
CREATE CONSTRAINT TRIGGER mint_jobs_live_insert AFTER INSERT ON public.mint_jobs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.status = 'minted'::text)) EXECUTE FUNCTION public.live_mint_event();
CREATE TRIGGER mint_jobs_minted AFTER UPDATE ON public.mint_jobs REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION public.mint_jobs_minted();
CREATE TRIGGER mint_jobs_queued AFTER INSERT OR UPDATE OF status ON public.mint_jobs FOR EACH ROW WHEN ((new.status = 'queued'::text)) EXECUTE FUNCTION public.mint_jobs_notify();
CREATE TRIGGER moment_mints_batch_ref AFTER INSERT ON public.moment_mints FOR EACH ROW WHEN ((new.batch_id IS NOT NULL)) EXECUTE FUNCTION public.batch_ref_exists();
CREATE TRIGGER moment_mints_batch_refs AFTER UPDATE ON public.moment_mints REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.batch_refs_exist();
CREATE TRIGGER moment_mints_queued AFTER INSERT OR UPDATE OF status ON public.moment_mints FOR EACH ROW WHEN ((new.status = 'queued'::text)) EXECUTE FUNCTION public.mint_jobs_notify();
CREATE TRIGGER scan_attempts_rollup AFTER INSERT ON public.scan_attempts REFERENCING NEW TABLE AS new_attempts FOR EACH STATEMENT EXECUTE FUNCTION public.scan_rollup();
CREATE TRIGGER swaps_accepted AFTER INSERT OR UPDATE OF status ON public.swaps FOR EACH ROW WHEN ((new.status = 'accepted'::text)) EXECUTE FUNCTION public.mint_jobs_notify();
ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT alerts_clue_id_fkey FOREIGN KEY (clue_id) REFERENCES public.clues(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT alerts_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.clue_history
    ADD CONSTRAINT clue_history_clue_id_fkey FOREIGN KEY (clue_id) REFERENCES public.clues(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.clues
    ADD CONSTRAINT clues_collectible_id_fkey FOREIGN KEY (collectible_id) REFERENCES public.collectibles(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.clues
    ADD CONSTRAINT clues_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.collectibles
    ADD CONSTRAINT collectibles_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.engravings
    ADD CONSTRAINT engravings_find_id_fkey FOREIGN KEY (find_id) REFERENCES public.finds(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.engravings
    ADD CONSTRAINT engravings_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_clue_id_fkey FOREIGN KEY (clue_id) REFERENCES public.clues(id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_collectible_id_fkey FOREIGN KEY (collectible_id) REFERENCES public.collectibles(id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id);
ALTER TABLE ONLY public.finds
    ADD CONSTRAINT finds_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.hunt_scores
    ADD CONSTRAINT hunt_scores_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.hunt_scores
    ADD CONSTRAINT hunt_scores_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.live_events
    ADD CONSTRAINT live_events_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.mint_batches
    ADD CONSTRAINT mint_batches_swap_id_fkey FOREIGN KEY (swap_id) REFERENCES public.swaps(id);
ALTER TABLE ONLY public.mint_jobs
    ADD CONSTRAINT mint_jobs_find_id_fkey FOREIGN KEY (find_id) REFERENCES public.finds(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.mint_txs
    ADD CONSTRAINT mint_txs_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES public.mint_batches(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moment_decisions
    ADD CONSTRAINT moment_decisions_moment_id_fkey FOREIGN KEY (moment_id) REFERENCES public.moments(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moment_folds
    ADD CONSTRAINT moment_folds_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moment_loves
    ADD CONSTRAINT moment_loves_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.moment_mints
    ADD CONSTRAINT moment_mints_moment_id_fkey FOREIGN KEY (moment_id) REFERENCES public.moments(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moment_mints
    ADD CONSTRAINT moment_mints_token_id_fkey FOREIGN KEY (token_id) REFERENCES public.moments(token_id);
ALTER TABLE ONLY public.moment_quotas
    ADD CONSTRAINT moment_quotas_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moment_quotas
    ADD CONSTRAINT moment_quotas_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.moment_reports
    ADD CONSTRAINT moment_reports_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.moment_reports
    ADD CONSTRAINT moment_reports_moment_id_fkey FOREIGN KEY (moment_id) REFERENCES public.moments(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moments
    ADD CONSTRAINT moments_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.moments
    ADD CONSTRAINT moments_collectible_id_fkey FOREIGN KEY (collectible_id) REFERENCES public.collectibles(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.moments
    ADD CONSTRAINT moments_hunt_id_fkey FOREIGN KEY (hunt_id) REFERENCES public.hunts(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.passkey_challenges
    ADD CONSTRAINT passkey_challenges_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.passkey_users
    ADD CONSTRAINT passkey_users_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.passkeys
    ADD CONSTRAINT passkeys_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.swaps
    ADD CONSTRAINT swaps_give_collectible_id_fkey FOREIGN KEY (give_collectible_id) REFERENCES public.collectibles(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.swaps
    ADD CONSTRAINT swaps_maker_hunter_id_fkey FOREIGN KEY (maker_hunter_id) REFERENCES public.hunters(id);
ALTER TABLE ONLY public.swaps
    ADD CONSTRAINT swaps_want_collectible_id_fkey FOREIGN KEY (want_collectible_id) REFERENCES public.collectibles(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.taste_sets
    ADD CONSTRAINT taste_sets_hunter_id_fkey FOREIGN KEY (hunter_id) REFERENCES public.hunters(id) ON DELETE CASCADE;
