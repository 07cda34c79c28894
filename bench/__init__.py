"""The scan-path benchmark behind `make bench` (`python -m bench`).

One run, one fresh database, one server process and a load generator in another process:

- `seed`: the fresh database, the hunt, its clues, the hunters and their tokens;
- `server`: the app as served, plus two routes mounted only here (`/bench/trivial`,
  `/bench/insert`);
- `wrk` and `loadgen`: closed-loop saturation (wrk, or a Python fallback) and the open-loop,
  coordinated-omission-free schedule at a fixed rate (Python);
- `run`: the phases in order; `report`: the "scan path" section of BENCHMARKS.md.
"""
