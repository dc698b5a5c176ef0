"""Test layers: Plone fixtures on a throwaway PostgreSQL cluster, a live server.

pytest-plone turns the layers into fixtures (see ``tests/plone/conftest.py``);
the cluster (``cluster.CLUSTER``) is shared by the layers and by plain pytest
fixtures so that one test run starts exactly one cluster.
"""

from OFS.Application import AppInitializer
from plone.app.contenttypes.testing import PLONE_APP_CONTENTTYPES_FIXTURE
from plone.app.testing import FunctionalTesting
from plone.app.testing import IntegrationTesting
from plone.app.testing import PloneSandboxLayer
from plone.app.testing import applyProfile
from plone.testing import Layer
from plone.testing.zope import WSGI_SERVER_FIXTURE
from plone.testing.zope import WSGIServer
from slc.clicktracker.testing.cluster import CLUSTER
from zope.configuration import xmlconfig
import os


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

        # What zope.conf sets on a Plone instance (demo/zope.conf.in,
        # buildout.cfg): the ZCML compiles locales/*/LC_MESSAGES/*.po.
        os.environ.setdefault("zope_i18n_compile_mo_files", "true")
        self.loadZCML(package=slc.clicktracker)

    def setUpPloneSite(self, portal):
        # As on Volto and headless sites: JWT login, "Use REST API" for all.
        applyProfile(portal, "plone.restapi:default")
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


class CachingLayer(PloneSandboxLayer):
    """plone.app.caching installed (caching still off, as after installing
    "HTTP caching support"); a test imports a preset with ``use_caching``."""

    defaultBases = (FIXTURE,)

    def setUpPloneSite(self, portal):
        applyProfile(portal, "plone.app.caching:default")
        applyProfile(portal, "slc.clicktracker:caching")


# plone.app.caching's presets, as its control panel's "Import settings" offers.
CACHING_PRESETS = ("without-caching-proxy", "with-caching-proxy")


def use_caching(portal, preset):
    """Import ``preset`` (one of CACHING_PRESETS, or None for caching off)
    and switch caching on, as a site administrator does."""
    from plone import api

    if preset is not None:
        portal.portal_setup.runAllImportStepsFromProfile(
            f"profile-plone.app.caching:{preset}", purge_old=False
        )
    api.portal.set_registry_record(
        "plone.caching.interfaces.ICacheSettings.enabled", preset is not None
    )


CACHING_FIXTURE = CachingLayer()
CACHING_FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(CACHING_FIXTURE,), name="slc.clicktracker:CachingFunctional"
)
CACHING_ACCEPTANCE_TESTING = FunctionalTesting(
    bases=(CACHING_FIXTURE, WSGI_SERVER_FIXTURE),
    name="slc.clicktracker:CachingAcceptance",
)


# What Products.CMFPlone does in a real instance, and test layers switch off.
AUTOINCLUDE = """
<configure xmlns="http://namespaces.zope.org/zope">
  <include package="plone.autoinclude" file="meta.zcml" />
  <autoIncludePlugins target="plone" file="meta.zcml" />
  <autoIncludePlugins target="plone" file="configure.zcml" />
  <autoIncludePluginsOverrides target="plone" file="overrides.zcml" />
</configure>
"""


class InstalledPluginsLayer(PloneSandboxLayer):
    """The ZCML of every Plone plugin installed, as a real instance loads it.

    Shows the Zope root of the pinned set as a site administrator gets it
    (plone.distribution's overview and the site distributions installed).
    """

    defaultBases = (FIXTURE,)

    def setUpZope(self, app, configurationContext):
        xmlconfig.string(AUTOINCLUDE, context=configurationContext)
        # Zope's start-up gives the root its default view; Plone's overview
        # replaces it (plone.testing's start-up leaves it out).
        AppInitializer(app).install_root_view()


INSTALLED_PLUGINS_FIXTURE = InstalledPluginsLayer()

# A server of its own: a server's threads keep the component registry that
# was current when they started, and the Zope root has no site to correct it.
ZOPE_ROOT_SERVER = WSGIServer(
    bases=(INSTALLED_PLUGINS_FIXTURE,), name="slc.clicktracker:ZopeRootServer"
)

ZOPE_ROOT_TESTING = FunctionalTesting(
    bases=(ZOPE_ROOT_SERVER,), name="slc.clicktracker:ZopeRoot"
)


class HeadlessFrontendLayer(PloneSandboxLayer):
    """A headless frontend on another origin: a static web server of its
    own (``frontend_dir`` served at ``frontend_url``) whose origin the REST
    API allows, with credentials, as a site behind Volto configures it."""

    defaultBases = (FIXTURE,)

    def setUp(self):
        from functools import partial
        from http.server import SimpleHTTPRequestHandler
        from http.server import ThreadingHTTPServer
        import tempfile
        import threading

        self["frontend_dir"] = tempfile.mkdtemp(prefix="slc-ct-frontend-")

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = partial(Quiet, directory=self["frontend_dir"])
        self.frontend = ThreadingHTTPServer(("localhost", 0), handler)
        self["frontend_url"] = f"http://localhost:{self.frontend.server_port}"
        threading.Thread(target=self.frontend.serve_forever, daemon=True).start()
        super().setUp()

    def tearDown(self):
        import shutil

        super().tearDown()
        self.frontend.shutdown()
        self.frontend.server_close()
        shutil.rmtree(self["frontend_dir"], ignore_errors=True)
        del self["frontend_dir"], self["frontend_url"]

    def setUpZope(self, app, configurationContext):
        xmlconfig.string(
            CORS_POLICY.format(origin=self["frontend_url"]),
            context=configurationContext,
        )


CORS_POLICY = """
<configure xmlns="http://namespaces.zope.org/zope"
           xmlns:plone="http://namespaces.plone.org/plone">
  <plone:CORSPolicy
      allow_origin="{origin}"
      allow_methods="GET,POST,PATCH,OPTIONS"
      allow_credentials="true"
      allow_headers="Accept,Authorization,Content-Type"
      max_age="3600"
      />
</configure>
"""

HEADLESS_FIXTURE = HeadlessFrontendLayer()
# A server of its own, as ZOPE_ROOT_SERVER: it must see the CORS policy.
HEADLESS_SERVER = WSGIServer(
    bases=(HEADLESS_FIXTURE,), name="slc.clicktracker:HeadlessServer"
)
HEADLESS_TESTING = FunctionalTesting(
    bases=(HEADLESS_SERVER,), name="slc.clicktracker:Headless"
)
