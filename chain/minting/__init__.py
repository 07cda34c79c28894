"""The minting worker's SQL, in queries.py: the mint outbox and the transaction ledger. A
package of its own because every module of SQL statements is a `queries.py` (one per part that
runs SQL), and chain/queries.py holds the rest of chain/'s."""
