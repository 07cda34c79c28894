"""Whether Redis answered lately: after a failure the scan path stops asking it for a moment,
so that an outage costs each scan nothing instead of a failed connection attempt."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

# Every Redis call on the scan path is bounded by this (a hung server must not hang scans).
CALL_TIMEOUT_S = 1.0


class RedisHealth:
    def __init__(self, retry_after_s: float = 1.0) -> None:
        self._retry_after_s = retry_after_s
        self._skip_until = 0.0
        self.down = False

    def usable(self) -> bool:
        return time.monotonic() >= self._skip_until

    def failed(self, err: BaseException) -> None:
        self._skip_until = time.monotonic() + self._retry_after_s
        if not self.down:
            log.warning("Redis unreachable (%s): scans go on without it", err)
        self.down = True

    def ok(self) -> None:
        if self.down:
            log.warning("Redis reachable again")
        self.down = False
