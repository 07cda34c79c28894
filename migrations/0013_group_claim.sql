-- Group commit for scans: the claims of every scan waiting at the same moment in one call and
-- one transaction. Each is decided by claim_find, in the order given, so the batch answers
-- exactly what the same claims one after another would (supply, one find per hunter and
-- collectible, the hunter's finds_version for the travel rule's staleness check); a later
-- claim of the same hunter sees the earlier one's find (its expected version is then 'stale').
-- One row per claim, `idx` its 1-based place in the arrays.
-- The batch's hunters are locked first, in id order, before any counter or rollup row: a scan
-- decided in turn (its hunter locked, then claim_find) can then wait for the batch, or the
-- batch for it, but never both at once. (Batches of two processes may still deadlock on
-- counters; the server then claims the loser's scans one at a time.)
CREATE FUNCTION claim_finds(
    p_hunter bigint[], p_expected_version bigint[], p_hunt bigint[], p_collectible bigint[],
    p_clue bigint[], p_lat double precision[], p_lon double precision[],
    p_accuracy double precision[], p_distance double precision[],
    p_scanned_at timestamptz[], p_device text[], p_address inet[]
) RETURNS TABLE (
    idx integer, verdict text, find_id bigint, found_at timestamptz, mint_status text,
    score integer, reached_at timestamptz, version bigint, last_lat double precision,
    last_lon double precision, last_found_at timestamptz
) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM hunters WHERE id = ANY (p_hunter) ORDER BY id FOR UPDATE;
    FOR i IN 1 .. COALESCE(array_length(p_hunter, 1), 0) LOOP
        RETURN QUERY SELECT i, c.* FROM claim_find(
            p_hunter[i], p_expected_version[i], p_hunt[i], p_collectible[i], p_clue[i],
            p_lat[i], p_lon[i], p_accuracy[i], p_distance[i], p_scanned_at[i], p_device[i],
            p_address[i]) AS c;
    END LOOP;
END $$;
