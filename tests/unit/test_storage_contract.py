"""The IClickStorage contract, run against PostgreSQL and a minimal storage."""

from datetime import UTC
from datetime import datetime
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import LogRow
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.testing.contract import ClickStorageContract
from zope.interface import implementer
from zope.interface.verify import verifyObject
import pytest


class TestPostgresqlStorage(ClickStorageContract):
    @pytest.fixture
    def storage(self, pg_dsn):
        storage = PostgresqlStorage(pg_dsn)
        storage.setup_database()
        yield storage
        storage.close()

    def test_provides_the_interface(self, storage):
        assert verifyObject(IClickStorage, storage)


@implementer(IClickStorage)
class ListStorage:
    """What a third party might write: a list of hits, nothing else."""

    def __init__(self):
        self.hits = []

    def logAccess(self, member, path, url, uid=None, when=None, **kw):
        if isinstance(path, tuple):
            path = "/".join(path)
        if not member or not path.startswith("/"):
            raise ValueError("member and an absolute path are required")
        when = when or datetime.now(UTC)
        self.hits.append((member, path.rstrip("/"), url, uid, when))
        return True

    def getLog(
        self, prefix, order_by=None, order_reverse=False, since=None, until=None
    ):
        if isinstance(prefix, tuple):
            prefix = "/".join(prefix)
        prefix = prefix.rstrip("/")
        keys = {
            "member": lambda r: (r.member, r.url),
            "url": lambda r: (r.url, r.member),
            "count": lambda r: (r.count, r.member, r.url),
            "lastaccess": lambda r: (r.lastaccess, r.member, r.url),
        }
        if (order_by or "member") not in keys:
            raise ValueError(order_by)
        groups = {}
        for member, path, url, uid, when in self.hits:
            if path != prefix and not path.startswith(prefix + "/"):
                continue
            if (since and when < since) or (until and when >= until):
                continue
            groups.setdefault((member, url), []).append((when, path, uid))
        rows = [
            LogRow(m, len(g), max(g)[0], u, min(g)[0], max(g)[1], max(g)[2])
            for (m, u), g in groups.items()
        ]
        return sorted(rows, key=keys[order_by or "member"], reverse=order_reverse)


class TestListStorage(ClickStorageContract):
    @pytest.fixture
    def storage(self):
        return ListStorage()
