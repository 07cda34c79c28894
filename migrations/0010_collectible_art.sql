-- Collectible art served by geohunt itself: each image is stored once, as geohunt re-encoded it
-- (WebP, no metadata), under the SHA-256 of those bytes, and served at `/art/{sha256}.webp`.
-- The same picture uploaded for two collectibles (or twice) is one row. A collectible points at
-- its art through its `image_url`; rows are never changed, so the URL can be cached forever.
CREATE TABLE collectible_art (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type  text NOT NULL CHECK (media_type = 'image/webp'),
    -- At most 2 MiB: the server's own cap on what it stores (server/art/image.py).
    data        bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 2097152),
    width       integer NOT NULL CHECK (width BETWEEN 1 AND 4096),
    height      integer NOT NULL CHECK (height BETWEEN 1 AND 4096),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A hunt's latest finds, newest first, for the venue screen's public ticker
-- (`GET /screens/{slug}/recent`), however many finds other hunts have.
CREATE INDEX finds_hunt_recent_idx ON finds (hunt_id, id);
