"""`python -m bench.workers`: `geohunt serve --workers 2` beside `--workers 1`, in one run;
writes its section of BENCHMARKS.md.

One scratch stack, two servers on it (`python -m bench.server --workers 1` and `--workers 2`,
the latter through `geohunt serve`'s supervisor: two processes on one port with SO_REUSEPORT),
both up for the whole run. Closed loops (wrk when installed or installable, else the storm's
Python generator in two processes) of the trivial endpoint and of scans against each, in
interleaved rounds. Exit status 1 when an answer was not the expected 200 or 201.

`run`: the phases; `report`: the section.
"""

from bench.workers.report import BEGIN, END

__all__ = ["BEGIN", "END"]
