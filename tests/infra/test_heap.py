"""infra/heap.py, in a fresh interpreter of its own (freezing is for the whole process): what
survives start-up is exempted, and a burst of objects alive together for a moment, as a group
of scans makes, no longer sets off young collections."""

from __future__ import annotations

import json
import subprocess
import sys

# A burst of 8,000 small containers (4,000 dicts of a list each) alive at once, then freed:
# the shape of a group of scans.
PROBE = """
import gc, json
from infra.heap import YOUNG_THRESHOLD, freeze_startup_heap

runs = []
gc.callbacks.append(lambda phase, info: phase == "stop" and runs.append(info["generation"]))

def burst():
    alive = [{"scan": [i]} for i in range(4_000)]
    del alive

burst()
before = len(runs)
frozen = freeze_startup_heap()
after_freeze = len(runs)
burst()
print(json.dumps({"default": before, "frozen": frozen, "after": len(runs) - after_freeze,
                  "threshold": gc.get_threshold(), "young": YOUNG_THRESHOLD}))
"""


def test_the_startup_heap_is_frozen_and_a_burst_sets_off_no_young_collection() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout)
    assert seen["default"] >= 5  # CPython's 700: a collection every 700 objects of the burst
    assert seen["frozen"] > 1_000  # the interpreter's and the modules' objects
    assert seen["after"] == 0
    assert seen["threshold"][0] == seen["young"] == 10_000
