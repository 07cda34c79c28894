"""The advisory lock registry: ids never shared, and the one the SQL writes as a literal agrees."""

from __future__ import annotations

import re

from infra.locks import AdvisoryLock
from infra.migrate import SCHEMA_FILE


def test_lock_ids_are_distinct() -> None:
    values = [lock.value for lock in AdvisoryLock]
    assert len(values) == len(set(values))


def test_the_sql_leak_lock_is_the_registered_one() -> None:
    used = set(re.findall(r"pg_advisory_xact_lock\((\d+),", SCHEMA_FILE.read_text()))
    assert used == {str(AdvisoryLock.LEAK_COUNT.value)}
