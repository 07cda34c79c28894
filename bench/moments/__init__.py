"""`python -m bench.moments`: the fans' moments benchmark; writes its section of BENCHMARKS.md.

One run, one scratch stack (fresh database, one `python -m bench.server` process, the app as
`geohunt serve` builds it): one hunt of 100,000 moments (85% approved, the rest pending,
rejected or hidden; a heavy-tailed spread of loves as their sort key) written in bulk with SQL,
10,000 hunters to love and a third of the moments' number as authors (three moments each, their
quotas written too). Then, from one client process over 1,000 keep-alive connections at once:

1. hot: 10,000 loves (`PUT /v1/moments/{id}/love`) on one moment, each by another hunter;
2. spread: the same 10,000 hunters loving 1,000 moments, ten loves each;

in rounds, hot and spread alternating which goes first, each round on moments of its own, and
a last round at as many connections as the server's in-flight slots (64: nothing shed); loves/s
over the burst and p99 of each love (a love shed with 503 is sent again after its
Retry-After). Then `GET /v1/hunts/{slug}/moments?sort=loved` (the first one folds every
pending love into the sort keys), by one client and by 4 at once.

Targets (issue 17): hot at no less than 80% of spread's loves/s, a ratio from one run; the
list's p95 under 50 ms with 100,000 moments. Exit status 1 when an answer was not the expected
200 or the loves counted are not the loves sent (the harness or the feature is broken, not the
numbers); missed targets are reported, not failed.

`seed`: the hunt; `load`: the bursts and the list requests; `report`: the section.
"""

from bench.moments.report import BEGIN, END

__all__ = ["BEGIN", "END"]
