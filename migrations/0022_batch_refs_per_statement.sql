-- A mint job's batch_id is checked once per statement instead of once per row. The foreign keys
-- from mint_jobs and moment_mints to mint_batches ran PostgreSQL's referential check for every
-- job a claim marked `submitted`: a query of its own per row, locking the batch's row each time.
-- Measured on one connection, batches of 100 jobs marked `submitted` in one UPDATE (4,000 jobs
-- a round, 8 interleaved rounds): 41.8 us a job with the foreign key, 16.6 us without it, the
-- largest share of the claim's cost on the cores the chain's node shares.
--
-- The same rule holds as before: a batch_id names a batch that exists, and a batch that jobs
-- name is neither deleted nor renumbered. The check runs after each statement that writes jobs,
-- over the statement's new rows, and locks the batches they name as the foreign key did
-- (FOR KEY SHARE), once per batch instead of once per job: a concurrent delete of such a batch
-- waits for the writer's commit, then meets its own check (after each statement that deletes
-- batches, over the rows deleted), which then sees the jobs (READ COMMITTED, what the app
-- runs). TRUNCATE mint_batches alone stays refused by mint_txs' foreign key.
ALTER TABLE mint_jobs DROP CONSTRAINT mint_jobs_batch_id_fkey;
ALTER TABLE moment_mints DROP CONSTRAINT moment_mints_batch_id_fkey;

CREATE FUNCTION batch_refs_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
    kept bigint;
    missing bigint;
BEGIN
    SELECT count(DISTINCT batch_id) INTO named FROM new_rows;
    IF named = 0 THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO kept FROM (
        SELECT 1 FROM mint_batches b
        WHERE b.id IN (SELECT batch_id FROM new_rows)
        FOR KEY SHARE
    ) locked;
    IF kept < named THEN
        SELECT n.batch_id INTO missing FROM new_rows n
        WHERE n.batch_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM mint_batches b WHERE b.id = n.batch_id)
        LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "%" violates the batch reference', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (batch_id)=(%s) is not present in table "mint_batches".',
                    missing);
    END IF;
    RETURN NULL;
END $$;

-- A new job names no batch (it is queued), so its insert is checked row by row, and only when
-- it does name one: the WHEN clause costs no function call.
CREATE FUNCTION batch_ref_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM mint_batches WHERE id = NEW.batch_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates the batch reference', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (batch_id)=(%s) is not present in table "mint_batches".',
                    NEW.batch_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER mint_jobs_batch_ref AFTER INSERT ON mint_jobs
    FOR EACH ROW WHEN (NEW.batch_id IS NOT NULL) EXECUTE FUNCTION batch_ref_exists();
CREATE TRIGGER moment_mints_batch_ref AFTER INSERT ON moment_mints
    FOR EACH ROW WHEN (NEW.batch_id IS NOT NULL) EXECUTE FUNCTION batch_ref_exists();
-- On mint_jobs, mint_jobs_minted already keeps each UPDATE's new rows (a transition table is
-- made once per statement for all the triggers that read it), so this check adds a query or two
-- per statement, not per row; on moment_mints (a few approved moments) the table is new.
CREATE TRIGGER mint_jobs_batch_refs AFTER UPDATE ON mint_jobs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION batch_refs_exist();
CREATE TRIGGER moment_mints_batch_refs AFTER UPDATE ON moment_mints
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION batch_refs_exist();

CREATE FUNCTION mint_batches_still_named() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
BEGIN
    SELECT o.id INTO named FROM old_batches o
    WHERE EXISTS (SELECT 1 FROM mint_jobs j WHERE j.batch_id = o.id)
        OR EXISTS (SELECT 1 FROM moment_mints m WHERE m.batch_id = o.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "mint_batches" violates the batch reference'
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (id)=(%s) is still referenced by a mint job.', named);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER mint_batches_deleted AFTER DELETE ON mint_batches
    REFERENCING OLD TABLE AS old_batches
    FOR EACH STATEMENT EXECUTE FUNCTION mint_batches_still_named();
-- A batch keeps its id: nothing renumbers one, and jobs name it.
CREATE FUNCTION mint_batch_id_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a mint batch keeps its id (% -> %)', OLD.id, NEW.id
        USING ERRCODE = 'foreign_key_violation';
END $$;
CREATE TRIGGER mint_batches_id_kept BEFORE UPDATE OF id ON mint_batches
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION mint_batch_id_kept();
