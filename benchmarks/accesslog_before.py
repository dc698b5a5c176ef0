"""Run inside the demo's Zope by bench_accesslog.py (``zconsole run``).

The Tracking tab as it worked before the database paged it: with a click
storage that offers only ``getLog`` (as a third-party storage does, and as
every storage did before ``IAccessLogStorage``), the view reads the whole
log under the prefix and pages it in Python. Renders the first page and the
CSV for the folder of 100 documents and the site root, in this process;
prints one JSON line with the times and this process's memory.
"""

from AccessControl.SecurityManagement import newSecurityManager
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.storage.utility import ConfiguredStorage
from Testing.makerequest import makerequest
from zope.component import getGlobalSiteManager
from zope.component import getMultiAdapter
from zope.component.hooks import setSite
from zope.interface import alsoProvides
from zope.interface import implementer
import json
import psutil
import time


@implementer(IClickStorage)
class GetLogOnly:
    """The configured storage, seen through IClickStorage alone."""

    def __init__(self):
        self.real = ConfiguredStorage()

    def logAccess(self, member, path, url, **kw):
        return self.real.logAccess(member, path, url, **kw)

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        return self.real.getLog(prefix, order_by, order_reverse, **kw)


def rss():
    return psutil.Process().memory_info().rss / 2**20


def render(app, context, **form):
    request = makerequest(app).REQUEST
    request.form.update(form)
    request.environ["HTTP_USER_AGENT"] = "benchmark"
    alsoProvides(request, IClickTrackerLayer)
    view = getMultiAdapter((context, request), name="tracking")
    started = time.perf_counter()
    body = view()
    seconds = time.perf_counter() - started
    if not isinstance(body, str | bytes):
        body = b"".join(body)
    return seconds, body


def main(app):
    site = app["Plone"]
    setSite(site)
    newSecurityManager(None, app.acl_users.getUser("admin").__of__(app.acl_users))
    getGlobalSiteManager().registerUtility(GetLogOnly(), IClickStorage)
    results = {"rss_start": rss()}
    for label, context in (("folder of 100", site["f42"]), ("site root", site)):
        seconds, body = render(app, context)
        text = body.decode() if isinstance(body, bytes) else body
        results[label] = {
            "page": seconds,
            "rows": text.count('class="tracking-row"'),
            "failed": "cannot be read right now" in text,
            "rss_after_page": rss(),
        }
        seconds, body = render(app, context, format="csv")
        results[label].update(csv=seconds, bytes=len(body), rss_after_csv=rss())
    print(json.dumps(results))


main(app)  # noqa: F821 -- `app` is provided by zconsole
