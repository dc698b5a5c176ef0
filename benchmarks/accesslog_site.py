"""Run inside the demo's Zope by bench_accesslog.py (``zconsole run``).

Gives the demo site what the benchmark's ten million hits point at: the
folder ``f42`` with its document ``doc7`` (the other documents exist only
in PostgreSQL: the Tracking tab reads the log by path), and the members
``member0000`` to ``member1999`` with full names, so that names are looked
up as on a real site. Idempotent. Prints one JSON line.
"""

from AccessControl.SecurityManagement import newSecurityManager
from plone import api
from zope.component.hooks import setSite
import json
import sys
import time
import transaction


FIRST = (
    "Ada Ben Cy Dora Emil Fay Gus Hana Ivo Jana Karl Lea Max Nora Otto Pia "
    "Quin Rita Sven Tara Udo Vera Walt Xena Yann Zoe Anton Bea Carl Dana Egon "
    "Finn Greta Hugo Ida Jens Kim Lars Mia Nils Ola Paul Rosa Sam Tom Ulla "
    "Vito Willa Yvo Zeno"
).split()
LAST = (
    "Archer Baker Carter Dale Ellis Frost Gray Hart Irwin Jones King Lane "
    "Moore Nash Owen Price Quinn Reed Stone Todd Usher Vance Wade York Zane "
    "Abbott Bishop Clark Dean Evans Fox Grant Hale Innes Jay Knox Lyle Mann "
    "Noble Olsen"
).split()


def fullname(number):
    return f"{FIRST[number % len(FIRST)]} {LAST[number // len(FIRST)]}"


def main(app, members):
    site = app["Plone"]
    setSite(site)
    admin = app.acl_users.getUser("admin")
    newSecurityManager(None, admin.__of__(app.acl_users))
    started = time.monotonic()
    if "f42" not in site:
        folder = api.content.create(site, "Folder", id="f42", title="Folder 42")
        api.content.create(folder, "Document", id="doc7", title="Document 4207")
    created = 0
    existing = set(site.acl_users.source_users.listUserIds())
    for number in range(members):
        userid = f"member{number:04}"
        if userid not in existing:
            api.user.create(
                username=userid,
                email=f"{userid}@example.org",
                password=f"secret-{userid}",
                properties={"fullname": fullname(number)},
            )
            created += 1
        if created and created % 500 == 0:
            transaction.commit()
    transaction.commit()
    print(json.dumps({"members": created, "seconds": time.monotonic() - started}))


main(app, int(sys.argv[-1]))  # noqa: F821 -- `app` is provided by zconsole
