-- The core scan path: hunts, collectibles, clues, hunters, finds and every scan attempt.

-- Catalog rows (hunts, collectibles, clues) carry a revision from one sequence so that every
-- server process can reload what changed; counters are left out so finds do not churn caches.
CREATE SEQUENCE catalog_rev;

CREATE FUNCTION catalog_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.rev := nextval('catalog_rev');
    RETURN NEW;
END $$;

CREATE FUNCTION catalog_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered on commit only, so listeners never load a row that is rolled back.
    PERFORM pg_notify('geohunt_catalog', TG_TABLE_NAME || ':' || NEW.id);
    RETURN NULL;
END $$;

CREATE TABLE hunts (
    id          bigserial PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    rules       jsonb NOT NULL DEFAULT '{}',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    rev         bigint NOT NULL DEFAULT nextval('catalog_rev'),
    CHECK (ends_at > starts_at)
);

CREATE TABLE collectibles (
    id          bigserial PRIMARY KEY,
    hunt_id     bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    key         text NOT NULL,
    name        text NOT NULL,
    episode     text,
    image_url   text NOT NULL,
    description text NOT NULL DEFAULT '',
    supply      integer CHECK (supply IS NULL OR supply >= 0),
    found       integer NOT NULL DEFAULT 0 CHECK (supply IS NULL OR found <= supply),
    created_at  timestamptz NOT NULL DEFAULT now(),
    rev         bigint NOT NULL DEFAULT nextval('catalog_rev'),
    UNIQUE (hunt_id, key)
);

CREATE TABLE clues (
    id            bigserial PRIMARY KEY,
    hunt_id       bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    collectible_id bigint NOT NULL REFERENCES collectibles ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('billboard', 'digital', 'social', 'ar')),
    label         text NOT NULL,
    city          text,
    lat           double precision,
    lon           double precision,
    geofence      jsonb,
    ar            jsonb,
    active_from   timestamptz,
    active_until  timestamptz,
    max_finds     integer CHECK (max_finds IS NULL OR max_finds >= 0),
    finds         integer NOT NULL DEFAULT 0 CHECK (max_finds IS NULL OR finds <= max_finds),
    active        boolean NOT NULL DEFAULT true,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    rev           bigint NOT NULL DEFAULT nextval('catalog_rev'),
    CHECK ((lat IS NULL) = (lon IS NULL))
);
CREATE INDEX clues_hunt_idx ON clues (hunt_id, id);
CREATE INDEX clues_rev_idx ON clues (rev);

CREATE TABLE clue_history (
    id         bigserial PRIMARY KEY,
    clue_id    bigint NOT NULL REFERENCES clues ON DELETE CASCADE,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL CHECK (action IN ('created', 'updated', 'imported')),
    changes    jsonb NOT NULL
);
CREATE INDEX clue_history_clue_idx ON clue_history (clue_id, id);

CREATE TRIGGER hunts_touch BEFORE UPDATE OF slug, name, description, starts_at, ends_at, rules
    ON hunts FOR EACH ROW EXECUTE FUNCTION catalog_touch();
CREATE TRIGGER collectibles_touch BEFORE UPDATE OF key, name, episode, image_url, description, supply
    ON collectibles FOR EACH ROW EXECUTE FUNCTION catalog_touch();
CREATE TRIGGER clues_touch BEFORE UPDATE OF kind, label, city, lat, lon, geofence, ar, active_from,
    active_until, max_finds, active ON clues FOR EACH ROW EXECUTE FUNCTION catalog_touch();
CREATE TRIGGER hunts_notify AFTER INSERT OR UPDATE OF slug, name, description, starts_at, ends_at, rules
    ON hunts FOR EACH ROW EXECUTE FUNCTION catalog_notify();
CREATE TRIGGER collectibles_notify AFTER INSERT OR UPDATE OF key, name, episode, image_url,
    description, supply ON collectibles FOR EACH ROW EXECUTE FUNCTION catalog_notify();
CREATE TRIGGER clues_notify AFTER INSERT OR UPDATE OF kind, label, city, lat, lon, geofence, ar,
    active_from, active_until, max_finds, active ON clues FOR EACH ROW EXECUTE FUNCTION catalog_notify();

CREATE TABLE hunters (
    id            bigserial PRIMARY KEY,
    handle        text,
    wallet        text UNIQUE CHECK (wallet IS NULL OR wallet ~ '^0x[0-9a-f]{40}$'),
    score         integer NOT NULL DEFAULT 0,
    -- Bumped by every find: a scan decided against an older version is re-decided (travel check).
    finds_version bigint NOT NULL DEFAULT 0,
    last_lat      double precision,
    last_lon      double precision,
    last_found_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hunters_handle_idx ON hunters (lower(handle));

CREATE TABLE hunt_scores (
    hunt_id      bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    hunter_id    bigint NOT NULL REFERENCES hunters ON DELETE CASCADE,
    score        integer NOT NULL,
    reached_at   timestamptz NOT NULL,
    PRIMARY KEY (hunt_id, hunter_id)
);
CREATE INDEX hunt_scores_rank_idx ON hunt_scores (hunt_id, score DESC, reached_at);

CREATE TABLE finds (
    id             bigserial PRIMARY KEY,
    hunter_id      bigint NOT NULL REFERENCES hunters,
    hunt_id        bigint NOT NULL REFERENCES hunts,
    collectible_id bigint NOT NULL REFERENCES collectibles,
    clue_id        bigint NOT NULL REFERENCES clues,
    found_at       timestamptz NOT NULL,
    lat            double precision,
    lon            double precision,
    accuracy_m     double precision,
    mint_status    text NOT NULL
        CHECK (mint_status IN ('awaiting_wallet', 'queued', 'submitted', 'minted', 'failed')),
    mint_error     text,
    -- One find per hunter and collectible, whichever clue: the database is the last word on races.
    UNIQUE (hunter_id, collectible_id)
);
CREATE INDEX finds_hunter_idx ON finds (hunter_id, id);
CREATE INDEX finds_awaiting_idx ON finds (hunter_id) WHERE mint_status = 'awaiting_wallet';

CREATE TABLE scan_attempts (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    hunter_id   bigint NOT NULL,
    hunt_id     bigint,
    clue_id     bigint,
    verdict     text NOT NULL,
    lat         double precision,
    lon         double precision,
    accuracy_m  double precision,
    distance_m  double precision,
    scanned_at  timestamptz,
    device_id   text,
    address     inet,
    find_id     bigint
);
CREATE INDEX scan_attempts_remote_idx ON scan_attempts (clue_id, at)
    WHERE verdict = 'outside_geofence' AND distance_m > 1000;

CREATE TABLE alerts (
    id        bigserial PRIMARY KEY,
    hunt_id   bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    kind      text NOT NULL,
    clue_id   bigint REFERENCES clues ON DELETE CASCADE,
    raised_at timestamptz NOT NULL DEFAULT now(),
    detail    jsonb NOT NULL
);
CREATE INDEX alerts_hunt_idx ON alerts (hunt_id, id);

-- A scan that passed every rule the server can decide in memory is settled here, in one round
-- trip: the hunter row lock serialises one hunter's scans, the conditional counter updates
-- serialise a supply, and the attempt is recorded whatever the outcome.
CREATE FUNCTION claim_find(
    p_hunter bigint, p_expected_version bigint, p_hunt bigint, p_collectible bigint, p_clue bigint,
    p_lat double precision, p_lon double precision, p_accuracy double precision,
    p_distance double precision, p_scanned_at timestamptz, p_device text, p_address inet
) RETURNS TABLE (
    verdict text, find_id bigint, found_at timestamptz, mint_status text, score integer,
    reached_at timestamptz, version bigint, last_lat double precision, last_lon double precision,
    last_found_at timestamptz
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    h hunters%ROWTYPE;
    v_now timestamptz := clock_timestamp();
    v_find bigint;
    v_status text;
    v_score integer;
    v_reached timestamptz;
    v_verdict text;
BEGIN
    SELECT * INTO h FROM hunters WHERE id = p_hunter FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_hunter'::text, NULL::bigint, NULL::timestamptz, NULL::text,
            NULL::integer, NULL::timestamptz, NULL::bigint, NULL::float8, NULL::float8,
            NULL::timestamptz;
        RETURN;
    END IF;
    IF h.finds_version <> p_expected_version THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint, NULL::timestamptz, NULL::text,
            h.score, NULL::timestamptz, h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
        RETURN;
    END IF;

    IF EXISTS (SELECT 1 FROM finds f WHERE f.hunter_id = p_hunter AND f.collectible_id = p_collectible) THEN
        v_verdict := 'already_found';
    ELSE
        UPDATE clues SET finds = finds + 1
            WHERE id = p_clue AND (max_finds IS NULL OR finds < max_finds);
        IF NOT FOUND THEN
            v_verdict := 'sold_out';
        ELSE
            UPDATE collectibles SET found = found + 1
                WHERE id = p_collectible AND (supply IS NULL OR found < supply);
            IF NOT FOUND THEN
                UPDATE clues SET finds = finds - 1 WHERE id = p_clue;
                v_verdict := 'sold_out';
            ELSE
                v_verdict := 'accepted';
            END IF;
        END IF;
    END IF;

    IF v_verdict <> 'accepted' THEN
        INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                                   distance_m, scanned_at, device_id, address)
        VALUES (p_hunter, p_hunt, p_clue, v_verdict, p_lat, p_lon, p_accuracy, p_distance,
                p_scanned_at, p_device, p_address);
        RETURN QUERY SELECT v_verdict, NULL::bigint, NULL::timestamptz, NULL::text, h.score,
            NULL::timestamptz, h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
        RETURN;
    END IF;

    v_status := CASE WHEN h.wallet IS NULL THEN 'awaiting_wallet' ELSE 'queued' END;
    INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at, lat, lon, accuracy_m,
                       mint_status)
    VALUES (p_hunter, p_hunt, p_collectible, p_clue, v_now, p_lat, p_lon, p_accuracy, v_status)
    RETURNING id INTO v_find;

    UPDATE hunters SET
        score = hunters.score + 1,
        finds_version = hunters.finds_version + 1,
        last_lat = COALESCE(p_lat, hunters.last_lat),
        last_lon = COALESCE(p_lon, hunters.last_lon),
        last_found_at = CASE WHEN p_lat IS NULL THEN hunters.last_found_at ELSE v_now END
    WHERE id = p_hunter
    RETURNING * INTO h;

    INSERT INTO hunt_scores AS s (hunt_id, hunter_id, score, reached_at)
    VALUES (p_hunt, p_hunter, 1, v_now)
    ON CONFLICT (hunt_id, hunter_id) DO UPDATE SET score = s.score + 1, reached_at = v_now
    RETURNING s.score, s.reached_at INTO v_score, v_reached;

    INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                               distance_m, scanned_at, device_id, address, find_id)
    VALUES (p_hunter, p_hunt, p_clue, 'accepted', p_lat, p_lon, p_accuracy, p_distance,
            p_scanned_at, p_device, p_address, v_find);

    -- The rank comes from the leaderboard's sorted set, which costs O(log n) per scan.
    RETURN QUERY SELECT 'accepted'::text, v_find, v_now, v_status, v_score, v_reached,
        h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
END $$;

-- A scan refused by the in-memory rules is recorded here; remote refusals of a static code are
-- counted so that a photo of a billboard circulating online raises one alert per burst.
CREATE FUNCTION record_rejection(
    p_hunter bigint, p_hunt bigint, p_clue bigint, p_verdict text,
    p_lat double precision, p_lon double precision, p_accuracy double precision,
    p_distance double precision, p_scanned_at timestamptz, p_device text, p_address inet,
    p_static boolean, p_leak_distance_m double precision, p_leak_hunters integer,
    p_leak_window interval
) RETURNS bigint LANGUAGE plpgsql AS $$
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
