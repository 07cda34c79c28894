"""An in-memory index of many fences, for "which clues are near this point?".

Candidates come from an STRtree of conservative lon/lat boxes; the answer is
then decided by each candidate's exact distance in metres. An STRtree cannot
be edited, so single edits go to a small overlay of keys that is checked
linearly, and the tree is rebuilt on the next query once the overlay holds
more than `rebuild_after` keys: edits stay O(1) and a rebuild (~0.2 s for
100,000 fences) is paid at most once per `rebuild_after` edits.

Each fence may carry a spot, a point of its own (a clue's location; the fence's
anchor by default): `spots_near` hands the candidates' keys and spots over as
arrays, for callers that measure many candidates at once without touching a
Python object per candidate.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.bounds import Bounds, boxes_intersect, degree_box, split_at_antimeridian
from geo.coords import LatLon
from geo.fence_base import Geofence
from geo.local_frame import FloatArray

DEFAULT_REBUILD_AFTER = 256


class FenceIndex:
    """Fences keyed by int (clue id). Not thread-safe: queries may rebuild."""

    __slots__ = (
        "_fences",
        "_spots",
        "_tree",
        "_tree_keys",
        "_tree_rows",
        "_row_keys",
        "_row_spots",
        "_has_copies",
        "_stale",
        "_rebuild_after",
    )

    def __init__(self, *, rebuild_after: int = DEFAULT_REBUILD_AFTER) -> None:
        self._fences: dict[int, Geofence] = {}
        self._spots: dict[int, LatLon] = {}
        self._tree: shapely.STRtree | None = None
        # The key of each box in the tree (a fence across the antimeridian has two),
        # and its row in the key and spot arrays of the fences the tree was built from.
        self._tree_keys: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._tree_rows: NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self._row_keys: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._row_spots: FloatArray = np.empty((0, 2), dtype=np.float64)
        self._has_copies = False
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
        spots: Mapping[int, LatLon] | None = None,
    ) -> FenceIndex:
        """Bulk load (later duplicates of a key win), building the tree once.

        `items` may be a generator that builds the fences: it runs with the
        garbage collector paused too. `spots` gives some keys a spot other than
        their fence's anchor.
        """
        index = cls(rebuild_after=rebuild_after)
        with _gc_paused():
            index._fences = dict(items)
            given = spots or {}
            index._spots = {
                key: given.get(key) or fence.anchor for key, fence in index._fences.items()
            }
            index._build_tree()
        return index

    def upsert(self, key: int, fence: Geofence, spot: LatLon | None = None) -> None:
        """Add or replace `key`'s fence; its spot is `spot`, or the fence's anchor."""
        self._fences[key] = fence
        self._spots[key] = spot or fence.anchor
        self._stale.add(key)

    def remove(self, key: int) -> None:
        """Forget `key`; no error if it is absent."""
        if self._fences.pop(key, None) is not None:
            del self._spots[key]
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
        found = []
        for key in self.candidates(point, radius_m):
            distance = self._fences[key].distance_m(point)
            if distance <= radius_m:
                found.append((key, distance))
        found.sort(key=lambda item: (item[1], item[0]))
        return found

    def candidates(self, point: LatLon, radius_m: float) -> set[int]:
        """Keys of the fences that may lie within `radius_m` of `point`, unmeasured.

        A superset of `near(point, radius_m)`: every fence whose conservative box meets the
        box around the point. For callers that measure to something else than the fence
        (a clue's location) or measure many candidates at once.
        """
        box = self._query_box(point, radius_m)
        found = self._tree_candidates(box)
        found.update(self._edited_near(box))
        return found

    def _query_box(self, point: LatLon, radius_m: float) -> Bounds:
        if not (math.isfinite(point.lat) and math.isfinite(point.lon)):
            raise ValueError("point must have finite coordinates")
        if not radius_m >= 0.0:
            raise ValueError("radius_m must be a non-negative number of metres")
        if len(self._stale) > self._rebuild_after:
            self.rebuild()
        return degree_box(point, radius_m)

    def _edited_near(self, box: Bounds) -> list[int]:
        """Keys edited since the tree was built whose current fence may meet `box`."""
        return [
            key
            for key in self._stale
            if (fence := self._fences.get(key)) is not None and boxes_intersect(fence.bounds, box)
        ]

    def spots_near(self, point: LatLon, radius_m: float) -> tuple[NDArray[np.int64], FloatArray]:
        """(keys, spots) of the same fences as `candidates(point, radius_m)`: an int64
        array and an (n, 2) array of (lat, lon) degrees, in no particular order."""
        box = self._query_box(point, radius_m)
        keys, spots = self._row_keys[:0], self._row_spots[:0]
        if self._tree is not None and len(self._tree_rows):
            parts = split_at_antimeridian(box)
            hits = np.concatenate([self._tree.query(shapely.box(*part)) for part in parts])
            rows = self._tree_rows[hits]
            # A fence meets the box twice only through a box of its across the antimeridian
            # or a query box split there; otherwise no row repeats (np.unique costs ~70 µs).
            if self._has_copies or len(parts) > 1:
                rows = np.unique(rows)
            keys, spots = self._row_keys[rows], self._row_spots[rows]
            if self._stale:
                fresh = ~np.isin(keys, np.fromiter(self._stale, np.int64, len(self._stale)))
                keys, spots = keys[fresh], spots[fresh]
        edited = self._edited_near(box)
        if edited:
            extra = np.array([self._spots[key] for key in edited], dtype=np.float64)
            keys = np.concatenate([keys, np.array(edited, dtype=np.int64)])
            spots = np.concatenate([spots, extra])
        return keys, spots

    def rebuild(self) -> None:
        """Fold the overlay into a new tree now (queries do it when it grows)."""
        with _gc_paused():
            self._build_tree()

    def _build_tree(self) -> None:
        count = len(self._fences)
        self._row_keys = np.fromiter(self._fences, dtype=np.int64, count=count)
        spots = chain.from_iterable(map(self._spots.__getitem__, self._fences))
        self._row_spots = np.fromiter(spots, dtype=np.float64, count=2 * count).reshape(-1, 2)
        boxes = np.array([fence.bounds for fence in self._fences.values()], dtype=np.float64)
        boxes = boxes.reshape(-1, 4)
        rows = np.arange(count, dtype=np.intp)
        crossing = boxes[:, 0] > boxes[:, 2]
        self._has_copies = bool(crossing.any())
        if self._has_copies:
            east = boxes[crossing].copy()
            east[:, 2] = 180.0
            west = boxes[crossing].copy()
            west[:, 0] = -180.0
            boxes = np.concatenate([boxes[~crossing], east, west])
            rows = np.concatenate([rows[~crossing], rows[crossing], rows[crossing]])
        self._tree = shapely.STRtree(
            shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
        )
        self._tree_rows = rows
        self._tree_keys = self._row_keys[rows]
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
