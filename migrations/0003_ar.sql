-- AR clues: a virtual object at a real spot, claimed by presence with a short-lived ticket that
-- the server signs (no printed code). 0001 already admits the kind and an `ar` column; the
-- server checks every clue on the way in, and these constraints make the same rules hold for
-- any other writer: an AR clue is located, fenced and has its anchor, and no other clue has one.

ALTER TABLE clues
    ADD CONSTRAINT clues_ar_anchor CHECK ((kind = 'ar') = (ar IS NOT NULL)),
    ADD CONSTRAINT clues_ar_anchor_shape CHECK (
        ar IS NULL
        OR (jsonb_typeof(ar) = 'object' AND jsonb_typeof(ar -> 'asset_url') = 'string')
    ),
    ADD CONSTRAINT clues_ar_located CHECK (
        kind <> 'ar' OR (lat IS NOT NULL AND geofence IS NOT NULL)
    );
