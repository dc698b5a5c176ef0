"""Plone layers as pytest fixtures: integration, functional, acceptance."""

from plone import api
from pytest_plone import fixtures_factory
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import utility
from slc.clicktracker.testing import ACCEPTANCE_TESTING
from slc.clicktracker.testing import FUNCTIONAL_TESTING
from slc.clicktracker.testing import INTEGRATION_TESTING
from zope.component import getUtility
import pytest
import transaction


globals().update(
    fixtures_factory(
        (
            (ACCEPTANCE_TESTING, "acceptance"),
            (FUNCTIONAL_TESTING, "functional"),
            (INTEGRATION_TESTING, "integration"),
        )
    )
)


@pytest.fixture(autouse=True)
def isolated_storage(monkeypatch, tmp_path):
    """No DSN from the environment, a spool of this test's own, pools closed."""
    monkeypatch.delenv(utility.ENV_DSN, raising=False)
    monkeypatch.setenv(utility.ENV_SPOOL, str(tmp_path / "spool.sqlite"))
    yield
    utility.close_all()


@pytest.fixture
def storage(functional):
    """The click storage on this test's own database, schema loaded."""
    api.portal.set_registry_record("slc.clicktracker.dsn", functional["pg_dsn"])
    transaction.commit()
    storage = getUtility(IClickStorage)
    storage.setup_database()
    return storage
