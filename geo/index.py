"""An in-memory index of many fences, for "which clues are near this point?".

Candidates come from an STRtree of conservative lon/lat boxes; the answer is
then decided by each candidate's exact distance in metres. An STRtree cannot
be edited, so single edits go to a small overlay of keys that is checked
linearly, and the tree is rebuilt on the next query once the overlay holds
more than `rebuild_after` keys: edits stay O(1) and a rebuild (~0.2 s for
100,000 fences) is paid at most once per `rebuild_after` edits.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.bounds import Bounds, boxes_intersect, degree_box, split_at_antimeridian
from geo.coords import LatLon
from geo.fence_base import Geofence

DEFAULT_REBUILD_AFTER = 256


class FenceIndex:
    """Fences keyed by int (clue id). Not thread-safe: queries may rebuild."""

    __slots__ = ("_fences", "_tree", "_tree_keys", "_stale", "_rebuild_after")

    def __init__(self, *, rebuild_after: int = DEFAULT_REBUILD_AFTER) -> None:
        self._fences: dict[int, Geofence] = {}
        self._tree: shapely.STRtree | None = None
        # The key of each box in the tree (a fence across the antimeridian has two).
        self._tree_keys: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        # Keys upserted or removed since the tree was built: their tree boxes,
        # if any, are ignored and their current fence is checked directly.
        self._stale: set[int] = set()
        self._rebuild_after = rebuild_after

    @classmethod
    def from_items(
        cls,
        items: Iterable[tuple[int, Geofence]],
        *,
        rebuild_after: int = DEFAULT_REBUILD_AFTER,
    ) -> FenceIndex:
        """Bulk load (later duplicates of a key win), building the tree once.

        `items` may be a generator that builds the fences: it runs with the
        garbage collector paused too.
        """
        index = cls(rebuild_after=rebuild_after)
        with _gc_paused():
            index._fences = dict(items)
            index._build_tree()
        return index

    def upsert(self, key: int, fence: Geofence) -> None:
        self._fences[key] = fence
        self._stale.add(key)

    def remove(self, key: int) -> None:
        """Forget `key`; no error if it is absent."""
        if self._fences.pop(key, None) is not None:
            self._stale.add(key)

    def get(self, key: int) -> Geofence | None:
        return self._fences.get(key)

    def __len__(self) -> int:
        return len(self._fences)

    def __contains__(self, key: object) -> bool:
        return key in self._fences

    def __iter__(self) -> Iterator[int]:
        return iter(self._fences)

    def near(self, point: LatLon, radius_m: float) -> list[tuple[int, float]]:
        """(key, metres) of every fence within `radius_m` of `point`, nearest first.

        Ties are ordered by key. The result is exactly the fences whose
        `distance_m(point)` is <= radius_m, as a scan over all of them would find.
        """
        if not (math.isfinite(point.lat) and math.isfinite(point.lon)):
            raise ValueError("point must have finite coordinates")
        if not radius_m >= 0.0:
            raise ValueError("radius_m must be a non-negative number of metres")
        if len(self._stale) > self._rebuild_after:
            self.rebuild()
        box = degree_box(point, radius_m)
        candidates = self._tree_candidates(box)
        candidates.update(
            key
            for key in self._stale
            if (fence := self._fences.get(key)) is not None and boxes_intersect(fence.bounds, box)
        )
        found = []
        for key in candidates:
            distance = self._fences[key].distance_m(point)
            if distance <= radius_m:
                found.append((key, distance))
        found.sort(key=lambda item: (item[1], item[0]))
        return found

    def rebuild(self) -> None:
        """Fold the overlay into a new tree now (queries do it when it grows)."""
        with _gc_paused():
            self._build_tree()

    def _build_tree(self) -> None:
        keys = np.fromiter(self._fences, dtype=np.int64, count=len(self._fences))
        boxes = np.array([fence.bounds for fence in self._fences.values()], dtype=np.float64)
        boxes = boxes.reshape(-1, 4)
        crossing = boxes[:, 0] > boxes[:, 2]
        if crossing.any():
            east = boxes[crossing].copy()
            east[:, 2] = 180.0
            west = boxes[crossing].copy()
            west[:, 0] = -180.0
            boxes = np.concatenate([boxes[~crossing], east, west])
            keys = np.concatenate([keys[~crossing], keys[crossing], keys[crossing]])
        self._tree = shapely.STRtree(
            shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
        )
        self._tree_keys = keys
        self._stale = set()

    def _tree_candidates(self, box: Bounds) -> set[int]:
        if self._tree is None or len(self._tree_keys) == 0:
            return set()
        hits = [self._tree.query(shapely.box(*part)) for part in split_at_antimeridian(box)]
        keys: set[int] = set(self._tree_keys[np.concatenate(hits)].tolist())
        return keys - self._stale


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while making ~100k objects.

    Each shapely box is a tracked object, so building them triggers full
    collections that rescan the whole heap: with 100k fences alive that
    triples the cost of a rebuild. Nothing made here forms cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
