"""Plone layers as pytest fixtures: integration, functional, acceptance."""

from pytest_plone import fixtures_factory
from slc.clicktracker.storage import utility
from slc.clicktracker.testing import ACCEPTANCE_TESTING
from slc.clicktracker.testing import FUNCTIONAL_TESTING
from slc.clicktracker.testing import INTEGRATION_TESTING
import pytest


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
