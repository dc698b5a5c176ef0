"""Run inside the demo's Zope by bench_readers.py (``zconsole run``).

The members of bench_accesslog (``accesslog_site.py``: member0000 to
member1999, with full names), then a meeting folder ``f42`` with the 100
documents ``doc0`` to ``doc99`` the ten million hits point at, tracked; the
group ``board500`` (the first 500 members) expected to read the folder, and
``board2000`` (all of them) expected to read ``doc7``, both with a deadline.
Idempotent. Prints one JSON line.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import tracking
import json
import runpy
import sys
import time
import transaction


def main(app, members):
    # zconsole's argv ends with this script's path and the member count.
    here = Path(sys.argv[-2]).parent
    runpy.run_path(str(here / "accesslog_site.py"), init_globals={"app": app})
    started = time.monotonic()
    site = app["Plone"]
    folder = site["f42"]
    for number in range(100):
        if f"doc{number}" not in folder:
            api.content.create(
                folder, "Document", id=f"doc{number}", title=f"Document 42{number:02}"
            )
    tracking.enable(folder)
    groups = {"board500": 500, "board2000": members}
    for group, size in groups.items():
        if api.group.get(groupname=group) is None:
            api.group.create(groupname=group, title=group)
        gtool = api.portal.get_tool("portal_groups")
        present = set(gtool.getGroupMembers(group))
        for number in range(size):
            userid = f"member{number:04}"
            if userid not in present:
                gtool.addPrincipalToGroup(userid, group)
    # The meeting is tomorrow: the hits (the last year's) are all in time.
    deadline = datetime.now(UTC) + timedelta(days=1)
    readers.set_expectation(folder, ["board500"], deadline=deadline)
    readers.set_expectation(folder["doc7"], ["board2000"], deadline=deadline)
    transaction.commit()
    print(json.dumps({"seconds": time.monotonic() - started}))


main(app, int(sys.argv[-1]))  # noqa: F821 -- `app` is provided by zconsole
