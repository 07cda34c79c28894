"""The benchmarks behind `make bench`, run from the checkout (not installed with the package).

Each is a command that writes its own section of BENCHMARKS.md:

- `python -m bench`: the scan path (`scan_path/`, its command line in `__main__.py`);
- `python -m bench.nearby`: AR hints (`nearby/`);
- `python -m bench.live`: live pushes to venue screens (`live/`);
- `python -m bench.mint`: minting, the worker against a bare script (`mint/`);
- `python -m bench.stats`, `python -m bench.twins`: episode ratings and taste twins.

What they share:

- `scratch`: the scratch stack each runs on (a fresh migrated database, a Redis prefix, the
  servers), taken down afterwards;
- `server`: the app as `geohunt serve` builds it, plus two routes mounted only here
  (`/bench/trivial`, `/bench/insert`);
- `report`: the machine, the time, the command line, percentiles, met or missed, and writing a
  section of BENCHMARKS.md; `cli`: the common arguments;
- `seed`: the scan benchmarks' hunt of billboards, hunters and their tokens;
- `loads`, `load_table`, `cpu`, `wrk`, `loadgen`: measured loads (closed loops with wrk or a
  Python fallback, open loops free of coordinated omission), the CPU each party spent, and
  their table in a section.
"""
