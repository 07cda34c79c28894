"""`python -m bench.storm`: scan storms (issue 16); writes its section of BENCHMARKS.md.

One run, one scratch stack (fresh database; the server as `geohunt serve` runs it, one process
per core on one port, through `python -m bench.server --workers N`): one hunt of many clues
with no supply limit and thousands of hunters, so every scan the server takes on is accepted.

1. warm-up (closed loop, not reported), then the capacity: accepted scans/s of a closed loop;
2. an open loop (generator processes on one timetable, `generator`) offering 1x, 2x and 5x
   that capacity for 30 s each; a client gives up 5 s after its request was due;
3. meanwhile `/healthz` probed at a steady rate and the server's RSS sampled (`watch`);
4. after each phase, in the database: every 201's find exists; the finds of the requests whose
   client gave up are counted.

Targets (issue 16): accepted/s at 5x >= 90% of 1x; p99 of accepted scans under 200 ms; p99 of
503 answers under 10 ms; no other 5xx; `/healthz` p99 under 50 ms; memory flat; every 201
durable; finds of clients that gave up under 2% of all finds. Missed targets are reported, not
failed; exit status 1 when a 201's find is missing (the feature is broken, not the numbers).

`run`: the phases; `load`: one phase; `report`: the section.
"""

from bench.storm.report import BEGIN, END

__all__ = ["BEGIN", "END"]
