-- live_name and live_time were declared IMMUTABLE, but each calls a STABLE function (text || a
-- bigint, to_char of a timestamp), so PostgreSQL never inlined them: every event built ran
-- them as nested queries of their own, three for a find and two for each token of a settled
-- batch, a large part of the mint statement trigger's cost. Now live_name casts the id with an
-- immutable cast (and stays IMMUTABLE) and live_time says what it is, STABLE: both are inlined
-- into the statements that call them. Neither is used by an index or a stored column.
CREATE OR REPLACE FUNCTION live_name(p_handle text, p_wallet text, p_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(p_handle, left(p_wallet, 6) || '…' || right(p_wallet, 4),
        'hunter ' || p_id::text)
$$;

CREATE OR REPLACE FUNCTION live_time(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
