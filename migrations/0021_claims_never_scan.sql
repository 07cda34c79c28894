-- claim_finds, and the triggers its statements fire, never read a table from end to end. Its
-- plans are generic and kept for the connection's life (0019), so a plan made while a table was
-- small stays when the table has grown. Autovacuum first analyses a new hunt's tables when they
-- hold a few dozen rows, a page each; plans made then chose sequential scans of finds,
-- hunt_scores, taste_sets, clues and hunts inside the nested loops, and each claim read those
-- tables whole until the next ANALYZE made the connections plan again. Measured on a fresh
-- database, one connection, batches of 10 claims: plans made after an ANALYZE at 60 finds, used
-- at 10,000 finds, 882 us a claim; after an ANALYZE at 10,000, 292 us; with this, 295 us. Every
-- lookup here goes by a key with an index, so a probe is the right plan whatever the statistics
-- say; with sequential scans off, the planner takes one even for a table of a page. (The SET
-- lasts for the call, and the triggers it fires see it.)
ALTER FUNCTION claim_finds(bigint[], bigint[], bigint[], bigint[], bigint[], double precision[],
    double precision[], double precision[], double precision[], timestamptz[], text[], inet[])
    SET enable_seqscan = off;
