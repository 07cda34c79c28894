"""Every route the server serves, feature by feature, in the order `/openapi.json` lists them.

The app installs exactly this list: a feature's routes are served because they are named here,
not because some module happened to be imported."""

from __future__ import annotations

from server.appconfig.routes import TABLE as APP_CONFIG
from server.ar.routes import TABLE as AR
from server.art.routes import TABLE as ART
from server.clues.routes import TABLE as CLUES
from server.codes.routes import TABLE as CODES
from server.fans.routes import TABLE as FANS
from server.http.routing import Route
from server.hunts.routes import TABLE as HUNTS
from server.identity.routes import TABLE as IDENTITY
from server.live.routes import TABLE as LIVE
from server.moments.routes import TABLE as MOMENTS
from server.ops.routes import TABLE as OPS
from server.ratings.page import TABLE as RATINGS_PAGE
from server.ratings.routes import TABLE as RATINGS
from server.scans.routes import TABLE as SCANS
from server.screens.routes import TABLE as SCREENS
from server.swaps.routes import TABLE as SWAPS
from server.web.routes import TABLE as WEB_APPS

ROUTES: list[Route] = [
    *OPS.routes,
    *APP_CONFIG.routes,
    *IDENTITY.routes,
    *HUNTS.routes,
    *ART.routes,
    *CLUES.routes,
    *CODES.routes,
    *SCANS.routes,
    *AR.routes,
    *LIVE.routes,
    *SCREENS.routes,
    *RATINGS.routes,
    *RATINGS_PAGE.routes,
    *FANS.routes,
    *MOMENTS.routes,
    *SWAPS.routes,
    *WEB_APPS.routes,
]


if __name__ == "__main__":  # `make api-doc`
    from server.http.api_doc import DOC, refreshed

    DOC.write_text(refreshed(DOC.read_text(), ROUTES))
