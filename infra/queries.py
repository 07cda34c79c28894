"""The statements infra/replica.py runs to tell how far a streaming replica is behind. Each
constant is one whole statement."""

# On the primary: how far it has written its WAL, in bytes from 0/0 (a bigint compares and
# travels more simply than pg_lsn). The write position, not the flush one: an asynchronous
# commit is visible once written, and the WAL writer flushes it within wal_writer_delay.
PRIMARY_WAL_SQL = """
SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint
"""

# On the replica: whether it is one (a promoted server is no longer a copy of the primary),
# and how far it has replayed the primary's WAL, in the same bytes.
REPLICA_REPLAY_SQL = """
SELECT pg_is_in_recovery() AS standby,
       (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS replayed
"""
