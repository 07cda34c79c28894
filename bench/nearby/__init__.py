"""`python -m bench.nearby`: the AR hints benchmark; writes its section of BENCHMARKS.md.

One run, one scratch stack (fresh database, one server process), one hunt of 100,000 clues:
the scan-path benchmark's cluster of billboards around Times Square (`bench/seed.py`), AR clues
among them, and the rest spread over New York. Hunters ask for hints where the billboards
stand, the densest spot of the hunt, and scan them there:

1. warm-ups (not reported);
2. closed-loop saturation, interleaved in rounds: (n) `GET /nearby` as the app calls it (the
   nearest `limit` hints, default 50), (c) `POST /v1/scans`, and (n_all) `GET /nearby` with
   `limit=1000`, every clue within the hint radius;
3. open loop at a steady rate: n, then c, latency from each request's due time.

Targets (issue 7): n's p99 under 20 ms at the steady rate, and n at least as many requests per
second as c in the same run. Exit status 1 when an answer was not the expected 200 / 201 (the
harness is broken, not the numbers); missed targets are reported, not failed.

`hints`: the AR clues and the hint requests; `load`: those requests as measured loads; `run`:
the phases; `report`: the section.
"""

from bench.nearby.options import QUICK, NearbyOptions
from bench.nearby.report import BEGIN, END, section

__all__ = ["BEGIN", "END", "QUICK", "NearbyOptions", "section"]
