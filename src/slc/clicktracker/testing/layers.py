"""Test layers: Plone fixtures on a throwaway PostgreSQL cluster, a live server.

pytest-plone turns the layers into fixtures (see ``tests/plone/conftest.py``);
the cluster (``cluster.CLUSTER``) is shared by the layers and by plain pytest
fixtures so that one test run starts exactly one cluster.
"""

from plone.app.contenttypes.testing import PLONE_APP_CONTENTTYPES_FIXTURE
from plone.app.testing import FunctionalTesting
from plone.app.testing import IntegrationTesting
from plone.app.testing import PloneSandboxLayer
from plone.app.testing import applyProfile
from plone.testing import Layer
from plone.testing.zope import WSGI_SERVER_FIXTURE
from slc.clicktracker.testing.cluster import CLUSTER


class PostgresLayer(Layer):
    """Provides ``pg_cluster`` and, for each test, a clean database ``pg_dsn``."""

    def setUp(self):
        CLUSTER.start()
        self["pg_cluster"] = CLUSTER

    def tearDown(self):
        del self["pg_cluster"]

    def testSetUp(self):
        self["pg_dbname"] = CLUSTER.create_database()
        self["pg_dsn"] = CLUSTER.dsn(self["pg_dbname"])

    def testTearDown(self):
        CLUSTER.drop_database(self["pg_dbname"])
        del self["pg_dsn"]
        del self["pg_dbname"]


POSTGRESQL_FIXTURE = PostgresLayer(name="slc.clicktracker:PostgreSQL")


class ClickTrackerLayer(PloneSandboxLayer):
    defaultBases = (PLONE_APP_CONTENTTYPES_FIXTURE, POSTGRESQL_FIXTURE)

    def setUpZope(self, app, configurationContext):
        import slc.clicktracker

        self.loadZCML(package=slc.clicktracker)

    def setUpPloneSite(self, portal):
        applyProfile(portal, "slc.clicktracker:default")


FIXTURE = ClickTrackerLayer()

INTEGRATION_TESTING = IntegrationTesting(
    bases=(FIXTURE,), name="slc.clicktracker:Integration"
)
FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(FIXTURE,), name="slc.clicktracker:Functional"
)
ACCEPTANCE_TESTING = FunctionalTesting(
    bases=(FIXTURE, WSGI_SERVER_FIXTURE), name="slc.clicktracker:Acceptance"
)
