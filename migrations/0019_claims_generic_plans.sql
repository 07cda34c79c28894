-- claim_finds plans its statements once per session instead of at every call. Its statements
-- read the batch from array parameters; with the plan cache's default (`auto`) PostgreSQL
-- compared the generic plan's estimate, made without the arrays, with the custom plans', found
-- it dearer and so planned every parameterised statement again at every call. The plans do not
-- depend on the arrays' contents: every join is a nested loop of index probes (0014's SET
-- clauses), and every lookup goes by a key. Measured on one connection, a lone claim took
-- about 3.7 ms and a batch of ten 6.6 ms with `auto`, 2.2 ms and 5.5 ms with generic plans
-- (BENCHMARKS.md, "Scan path"). claim_find calls claim_finds and gets the same.
ALTER FUNCTION claim_finds(bigint[], bigint[], bigint[], bigint[], bigint[], double precision[],
    double precision[], double precision[], double precision[], timestamptz[], text[], inet[])
    SET plan_cache_mode = force_generic_plan;
