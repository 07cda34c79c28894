"""A long-running process's heap after start-up, kept out of the garbage collector's way.

CPython's oldest-generation collection walks every tracked object. A server process holds some
200,000 of them once started (modules, the catalog, schemas, the web3 and pydantic machinery),
nearly all of which live as long as it does; each full collection walked them all again: in a
storm, 137 ms at the median and 194 ms at most, during which every request of the process waited
(BENCHMARKS.md, "Scan path and storms: cheaper calls, and the collector's pauses"). Frozen
after start-up, they are left out of every collection; what the process makes afterwards is
collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once, then exempt what survives from later collections; how many objects that is."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
