-- Live events for venue screens: a transactional outbox written by triggers.
--
-- A find, a leaked-code alert or a minted token writes its event in the same transaction as the
-- change, so an event exists exactly when its change committed. The relay (server/live/relay.py)
-- moves events to the hunt's Redis stream; it numbers them (`seq`) as it delivers them, under an
-- advisory lock, because ids come from a sequence in insert order while transactions commit in
-- another: a stream takes only increasing ids, and delivery order is the one that holds.
-- Delivered rows are kept for a while so that streams can be refilled after Redis loses them.

CREATE SEQUENCE live_event_seq;

CREATE TABLE live_events (
    id           bigserial PRIMARY KEY,
    hunt_id      bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('find', 'mint', 'alert')),
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    seq          bigint UNIQUE,
    delivered_at timestamptz,
    CHECK (delivered_at IS NULL OR seq IS NOT NULL)
);
CREATE INDEX live_events_pending_idx ON live_events (id) WHERE delivered_at IS NULL;
CREATE INDEX live_events_delivered_idx ON live_events (hunt_id, seq) WHERE delivered_at IS NOT NULL;
CREATE INDEX live_events_age_idx ON live_events (delivered_at) WHERE delivered_at IS NOT NULL;

-- RFC 3339 in UTC whatever the session's TimeZone, as the HTTP answers write times.
CREATE FUNCTION live_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- What a screen calls a hunter: the handle, else the wallet shortened, else the id.
CREATE FUNCTION live_name(p_handle text, p_wallet text, p_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(p_handle, left(p_wallet, 6) || '…' || right(p_wallet, 4), 'hunter ' || p_id)
$$;

CREATE FUNCTION live_wake() RETURNS void LANGUAGE sql AS $$
    -- Delivered on commit, and once per transaction however many events it wrote.
    SELECT pg_notify('geohunt_live', '')
$$;

-- Deferred to commit: claim_find inserts the find before it updates the hunter's score and the
-- collectible's counter, and the event carries their final values.
CREATE FUNCTION live_find_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_payload jsonb;
BEGIN
    SELECT jsonb_build_object(
        'type', 'find',
        'hunt', hu.slug,
        'find', jsonb_build_object(
            'id', NEW.id,
            'clue_id', NEW.clue_id,
            'collectible', jsonb_build_object('key', c.key, 'name', c.name, 'episode', c.episode),
            'found_at', live_time(NEW.found_at)),
        'hunter', jsonb_build_object(
            'hunter_id', h.id,
            'name', live_name(h.handle, h.wallet, h.id),
            'score', s.score,
            'last_find_at', live_time(s.reached_at)),
        'clue', jsonb_build_object('kind', cl.kind, 'city', cl.city),
        'collectible', jsonb_build_object(
            'key', c.key, 'name', c.name, 'episode', c.episode, 'found', c.found,
            'supply', c.supply))
    INTO v_payload
    FROM hunts hu
    JOIN hunters h ON h.id = NEW.hunter_id
    JOIN collectibles c ON c.id = NEW.collectible_id
    JOIN clues cl ON cl.id = NEW.clue_id
    LEFT JOIN hunt_scores s ON s.hunt_id = NEW.hunt_id AND s.hunter_id = NEW.hunter_id
    WHERE hu.id = NEW.hunt_id;
    INSERT INTO live_events (hunt_id, kind, payload) VALUES (NEW.hunt_id, 'find', v_payload);
    PERFORM live_wake();
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER finds_live AFTER INSERT ON finds
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_find_event();

CREATE FUNCTION live_alert_event() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER alerts_live AFTER INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION live_alert_event();

-- Deferred too: the job's transaction hash and contract may be written by a later statement of
-- the transaction that marks it minted.
CREATE FUNCTION live_mint_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- Read at commit: a job marked minted and changed back in the same transaction is no mint.
    WHERE j.find_id = NEW.find_id AND j.status = 'minted';
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER mint_jobs_live_update AFTER UPDATE OF status ON mint_jobs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'minted' AND OLD.status IS DISTINCT FROM 'minted')
    EXECUTE FUNCTION live_mint_event();
CREATE CONSTRAINT TRIGGER mint_jobs_live_insert AFTER INSERT ON mint_jobs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'minted')
    EXECUTE FUNCTION live_mint_event();
