"""Pure geometry for geofenced clues: positions, metres, fences and an index.

Nothing here does I/O. Every distance is geodesic on the WGS84 ellipsoid, in
metres; degrees only ever pick candidates.

- coords: `LatLon` and the one (lat, lon) <-> (x=lon, y=lat) swap
- distance: exact geodesics (geographiclib, as geopy uses)
- azimuthal, local_frame, ellipsoid: the fast metric projection about a point
- fences: `Geofence`, `CircleFence`, `PolygonFence`, `parse_geofence`, `within_fence`
- index: `FenceIndex`, fences near a point
- translate: a shape moved with its anchor, the same metres east and north of the new spot
- bounds, outline: lon/lat boxes and outlines for indexing and display
"""
