"""Recording hits never writes to the ZODB."""

from plone import api
from slc.clicktracker.interfaces import IClickStorage
from zope.component import getUtility
import transaction


HITS = 200


def zodb_state(functional):
    db = functional["app"]._p_jar.db()
    return db.lastTransaction(), db.getSize()


def log_many(storage):
    for n in range(HITS):
        assert storage.logAccess(
            f"member{n % 7}",
            f"/plone/doc{n % 13}",
            f"http://nohost/plone/doc{n % 13}",
            uid=f"uid{n % 13}",
            title=f"Document {n % 13}",
        )


def test_hits_to_postgresql_write_nothing_to_zodb(functional):
    api.portal.set_registry_record("slc.clicktracker.dsn", functional["pg_dsn"])
    transaction.commit()
    storage = getUtility(IClickStorage)
    storage.setup_database()
    transaction.commit()
    before = zodb_state(functional)

    log_many(storage)
    assert sum(row.count for row in storage.getLog("/plone")) == HITS
    assert storage.status()["hits"] == HITS
    transaction.commit()

    assert zodb_state(functional) == before


def test_spooled_hits_write_nothing_to_zodb(functional):
    # Not configured: hits go to the spool, still not to the ZODB.
    transaction.commit()
    storage = getUtility(IClickStorage)
    before = zodb_state(functional)

    log_many(storage)
    assert storage.status()["backlog"] == HITS
    transaction.commit()

    assert zodb_state(functional) == before
