"""Run inside the demo's Zope by bench_tracking.py (``zconsole run``).

Prints one JSON object: the viewlet's render cost on a tracked and on an
untracked page (as the member, so the tracked one really signs a token), and
the token of the member's page of the tracked document.
"""

from AccessControl.SecurityManagement import newSecurityManager
from slc.clicktracker.browser.viewlet import ClickTrackerViewlet
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.tokens import make_token
from zope.component.hooks import setSite
from zope.interface import alsoProvides
import json
import time


MEMBER = "alice"
RENDERS = 2000


def render_cost(context, request):
    viewlet = ClickTrackerViewlet(context, request, None, None)
    viewlet.update()
    html = viewlet.render()
    start = time.perf_counter()
    for _ in range(RENDERS):
        viewlet = ClickTrackerViewlet(context, request, None, None)
        viewlet.update()
        viewlet.render()
    return (time.perf_counter() - start) / RENDERS * 1e6, bool(html)


def main(app):
    site = app["Plone"]
    setSite(site)
    users = site.acl_users
    newSecurityManager(None, users.getUser(MEMBER).__of__(users))
    request = app.REQUEST
    request.environ["HTTP_USER_AGENT"] = DESKTOP_UA
    alsoProvides(request, IClickTrackerLayer)
    doc = site["board-meeting"]["agenda"]
    tracked_us, tracked_html = render_cost(doc, request)
    untracked_us, untracked_html = render_cost(site, request)
    assert tracked_html and not untracked_html
    token = make_token(MEMBER, doc, site)
    print(
        json.dumps(
            {
                "viewlet_tracked_us": tracked_us,
                "viewlet_untracked_us": untracked_us,
                "token": token,
            }
        )
    )


main(app)  # noqa: F821 -- `app` is provided by zconsole
