"""`python -m bench.live`: live pushes to venue screens; writes its section of BENCHMARKS.md.

One scratch stack (fresh database, two server processes: `geohunt serve` plus the benchmark's
two routes), one hunt. `--clients` WebSocket clients watch the hunt, half on each process; then
scans arrive at a steady rate (an open loop, alternating between the processes, every one a new
find), and each client notes when each find reaches it. Reported: from each scan's 201 (when
the answer was read) to each client's receipt of that find, p50 and p99 over every (client,
find) pair; and whether every client got every find exactly once.

The clients are deliberately lean (a WebSocket frame parser on an asyncio Protocol, no JSON
parsing of finds): they share the machine's two cores with both servers, PostgreSQL and Redis.

Target (issue 4): p99 under 100 ms with 1,000 clients at 100 scans/s, no message missed. Exit
status 1 when a scan was not accepted or a message went missing (the system is broken, not
slow); a missed latency target is reported, not failed.

`websocket`: one lean client; `clients`: processes of them; `scans`: the open loop of scans;
`measure`: latencies and CPU; `run`: the phases; `report`: the section.
"""

from bench.live.report import BEGIN, END

__all__ = ["BEGIN", "END"]
