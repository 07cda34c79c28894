"""`python -m bench.fan_app`: the fan app in a phone's browser; writes its section of
BENCHMARKS.md.

One scratch stack (fresh database, one server process serving the built app from web/dist),
one hunt of billboards around Times Square, opened at `http://localhost:PORT`:

1. the first load, by Lighthouse (npm, pinned) in Debian's Chromium at the phone's size with
   its mobile throttling: the billboard's code page `/c/{code}` and the home page `/`, each
   a few times. Reported: the performance, accessibility and best-practices scores, the paint
   metrics, and the bytes of scripts and style sheets sent (the network-requests audit's
   `transferSize`);
2. claims by distinct fans in a phone-sized Chromium driven by Playwright, standing at the
   billboard: from pressing "Claim" to the status saying "You found", p50, p95 and max, with
   where the time went (the geolocation fix, the request, the answer written) and the
   server's own time for the requests; then the same request sent by as many other fans from
   Python once Chromium has closed, for comparison.

Targets: performance >= 90, accessibility >= 95, best practices >= 95, scripts and style sheets
of the first load under 150 KB compressed. Exit status 1 when a claim was not accepted or the
page logged an error (the app is broken, not slow); missed targets are reported, not failed.

`chromium`: the browser and its flags; `build`: what web/dist holds; `hunt`: the hunt and its
fans; `lighthouse`: one page's audit; `claims`: the timed claims; `server_time`: the server's
own time, from its metrics; `busy`: the machine's load meanwhile; `bare_scans`: the request
without a browser; `run`: the phases; `report`: the section.
"""

from bench.fan_app.options import QUICK, FanAppOptions
from bench.fan_app.report import BEGIN, END, section

__all__ = ["BEGIN", "END", "QUICK", "FanAppOptions", "section"]
