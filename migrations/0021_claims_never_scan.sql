-- claim_finds, and the triggers its statements fire, never read a table from end to end. Its
-- plans are generic and kept for the connection's life (0019), so a plan made while a table was
-- small stays when the table has grown: after an ANALYZE of a fresh hunt's still empty tables
-- (finds, hunt_scores, taste_sets, clues), the planner chose sequential scans inside the nested
-- loops, and each claim then read those tables whole until autovacuum's next ANALYZE made the
-- connections plan again. Measured on a fresh database, one connection, batches of 10 claims
-- once 10,000 finds had been made: 870 us a claim with the plans of the empty tables, 288 us
-- after ANALYZE. Every lookup here goes by a key with an index, so a probe is the right plan
-- whatever the statistics say; with sequential scans off, the planner takes one even for a
-- table of a page. (The SET lasts for the call, and the triggers it fires see it.)
ALTER FUNCTION claim_finds(bigint[], bigint[], bigint[], bigint[], bigint[], double precision[],
    double precision[], double precision[], double precision[], timestamptz[], text[], inet[])
    SET enable_seqscan = off;
