"""Plone layers as pytest fixtures: integration, functional, acceptance."""

from pytest_plone import fixtures_factory
from slc.clicktracker.testing import ACCEPTANCE_TESTING
from slc.clicktracker.testing import FUNCTIONAL_TESTING
from slc.clicktracker.testing import INTEGRATION_TESTING


globals().update(
    fixtures_factory(
        (
            (ACCEPTANCE_TESTING, "acceptance"),
            (FUNCTIONAL_TESTING, "functional"),
            (INTEGRATION_TESTING, "integration"),
        )
    )
)
