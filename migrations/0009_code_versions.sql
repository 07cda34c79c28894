-- Printed codes that can be replaced, and clues named by the file they were imported from.

-- A billboard's or social drop's printed code carries the clue's code version. A reissue (the
-- code leaked: a photo of it circulates) bumps it, and every code of an older version is then
-- refused `code_revoked`. Every clue, and so every code printed before versions existed, starts
-- at version 0. The catalog holds the version, so a change of it bumps `rev` and NOTIFYs like
-- any other change a scan depends on.
ALTER TABLE clues ADD COLUMN code_version integer NOT NULL DEFAULT 0 CHECK (code_version >= 0);

-- The site a clue was imported as: a GeoJSON feature's `id` (or `properties.ref`). Importing
-- a feature whose ref the hunt knows updates that clue instead of adding another.
ALTER TABLE clues ADD COLUMN ref text CHECK (ref IS NULL OR length(ref) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX clues_ref_idx ON clues (hunt_id, ref) WHERE ref IS NOT NULL;

DROP TRIGGER clues_touch ON clues;
DROP TRIGGER clues_notify ON clues;
CREATE TRIGGER clues_touch BEFORE UPDATE OF kind, label, city, lat, lon, geofence, ar, active_from,
    active_until, max_finds, active, code_version ON clues
    FOR EACH ROW EXECUTE FUNCTION catalog_touch();
CREATE TRIGGER clues_notify AFTER INSERT OR UPDATE OF kind, label, city, lat, lon, geofence, ar,
    active_from, active_until, max_finds, active, code_version ON clues
    FOR EACH ROW EXECUTE FUNCTION catalog_notify();

-- A reissue is kept in the clue's history like any change: who, when, and why.
ALTER TABLE clue_history DROP CONSTRAINT clue_history_action_check;
ALTER TABLE clue_history ADD CONSTRAINT clue_history_action_check
    CHECK (action IN ('created', 'updated', 'imported', 'reissued'));

-- A leaked code's alert names what answers it: the clue's reissue, a path of the API.
CREATE FUNCTION alert_reissue_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'leaked_code' AND NEW.clue_id IS NOT NULL THEN
        NEW.detail := NEW.detail
            || jsonb_build_object('reissue', '/v1/clues/' || NEW.clue_id || '/reissue');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER alerts_reissue_link BEFORE INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION alert_reissue_link();
UPDATE alerts
SET detail = detail || jsonb_build_object('reissue', '/v1/clues/' || clue_id || '/reissue')
WHERE kind = 'leaked_code' AND clue_id IS NOT NULL AND NOT detail ? 'reissue';
