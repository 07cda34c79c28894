"""A long-running process's heap after start-up, kept out of the garbage collector's way.

CPython's oldest-generation collection walks every tracked object. A server process holds some
200,000 of them once started (modules, the catalog, schemas, the web3 and pydantic machinery),
nearly all of which live as long as it does; each full collection walked them all again: in a
storm, 137 ms at the median and 194 ms at most, during which every request of the process waited
(BENCHMARKS.md, "Scan path and storms: cheaper calls, and the collector's pauses"). Frozen
after start-up, they are left out of every collection; what the process makes afterwards is
collected as before.

The youngest generation is collected whenever 700 more container objects are alive than at its
last collection (CPython's default). A server passes that in the middle of nearly every group of
scans, whose objects are alive together for a moment and then freed by their reference counts:
in a storm run of about a minute, each process ran some 500 young collections of about a
millisecond each (up to 15), and 1.2-2.0 s of collections of all generations. At 10,000 it ran
7 or 8 young ones and no others (30-70 ms in all), with the same memory (BENCHMARKS.md, "Scan
storms: where a 503 waits").
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def freeze_startup_heap() -> int:
    """Collect once, exempt what survives from later collections and collect the young
    generation less often; how many objects were exempted."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    return gc.get_freeze_count()
