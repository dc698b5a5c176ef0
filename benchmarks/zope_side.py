"""Run inside the demo's Zope by bench_tracking.py (``zconsole run``).

Prints one JSON object: the viewlet's render cost on a tracked and on an
untracked page (as the member, so the tracked one really signs a token), and
as many fresh callback tokens for the member's view of the tracked page as
the last command-line argument asks for.
"""

from AccessControl.SecurityManagement import newSecurityManager
from slc.clicktracker.browser.viewlet import ClickTrackerViewlet
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.tokens import make_token
from zope.component.hooks import setSite
from zope.interface import alsoProvides
import json
import sys
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


def main(app, count):
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
    tokens = [make_token(MEMBER, doc, site) for _ in range(count)]
    print(
        json.dumps(
            {
                "viewlet_tracked_us": tracked_us,
                "viewlet_untracked_us": untracked_us,
                "tokens": tokens,
            }
        )
    )


main(app, int(sys.argv[-1]))  # noqa: F821 -- `app` is provided by zconsole
