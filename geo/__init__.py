"""Pure geometry for geofenced clues: coordinates, distances in metres, fences, an index.

Nothing here does I/O; every distance is on the WGS84 ellipsoid, in metres.
"""
