"""The request and answer examples of docs/restapi.rst, sent to a live test
site like the demo's and compared with its answers (after replacing what
differs from run to run: addresses, tokens, UIDs, the time of the run).

``UPDATE_DOCS=1`` writes the answers into the file instead of failing (see
docs/restapi.rst, "Keeping the examples true").
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from plone.app.testing import setRoles
from slc.clicktracker import readers
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from tests.plone.restapi_site import login
from tests.plone.restapi_site import module_site
import json
import os
import pytest
import re
import requests
import time
import transaction


DOC = Path(__file__).resolve().parents[2] / "docs" / "restapi.rst"
DEMO_URL = "http://localhost:8080/Plone"
DEMO_DSN = "host=db.example.org port=5432 dbname=clicktracker user=plone"
PASSWORD = "docs-secret-1"
# As in demo/setup_site.py (which runs when imported): its members, the
# board and the meeting's papers; also the folder's Editor and a Manager.
MEMBERS = {"alice": "Alice Archer", "bob": "Bob Baker", "carol": "Carol Clark"}
BOARD = tuple(MEMBERS)
MEMBERS |= {"erin": "Erin Editor", "manager": "Max Manager"}
DOCUMENTS = {
    "agenda": "Agenda",
    "budget-proposal": "Budget proposal",
    "minutes": "Minutes of the last meeting",
}
# The demo's meeting, on a fixed day.
MEETING = datetime(2030, 3, 5, 18, 0, tzinfo=UTC)
UPDATE = os.environ.get("UPDATE_DOCS") == "1"


# -- the examples in the file ----------------------------------------------------


def blocks(lines):
    """``(first, end)`` line ranges of the ``code-block:: http`` contents."""
    found = []
    for number, line in enumerate(lines):
        if line.strip() != ".. code-block:: http":
            continue
        first = number + 1
        while first < len(lines) and not lines[first].strip():
            first += 1
        end = first
        while end < len(lines) and (
            lines[end].startswith("   ") or not lines[end].strip()
        ):
            end += 1
        while end > first and not lines[end - 1].strip():
            end -= 1
        found.append((first, end))
    return found


def examples(lines):
    """Each request with the answer block after it, in the file's order."""
    found = blocks(lines)
    pairs = []
    for (first, end), answer in zip(found, found[1:], strict=False):
        text = "\n".join(line[3:] for line in lines[first:end])
        if text.startswith("HTTP/"):
            continue
        pairs.append((text, answer))
    return pairs


def split_message(text):
    """``(first line, headers, body)`` of an HTTP message."""
    head, _blank, body = text.partition("\n\n")
    first, *headers = head.splitlines()
    return first, dict(h.split(": ", 1) for h in headers), body.strip()


# Read once: the line numbers of the answers stay those of this text.
TEXT = DOC.read_text()
LINES = TEXT.splitlines()
EXAMPLES = examples(LINES)


# -- the site -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        portal = layer["portal"]
        api.portal.set_registry_record("plone.portal_timezone", "UTC")
        with api.env.adopt_roles(["Manager"]):
            build(portal)
        dsn = f"{layer['pg_dsn']} password=s3cret"
        api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
        transaction.commit()
        answers = {}
        url, dsn = portal.absolute_url(), layer["pg_dsn"]
        yield {"url": url, "dsn": dsn, "answers": answers}
        if UPDATE:
            write_answers(answers)


def build(portal):
    for userid, fullname in MEMBERS.items():
        api.user.create(
            username=userid,
            email=f"{userid}@example.org",
            password=PASSWORD,
            properties={"fullname": fullname},
        )
    setRoles(portal, "manager", ["Member", "Manager"])
    api.group.create(groupname="board", title="Board")
    for userid in BOARD:
        api.group.add_user(groupname="board", username=userid)
    folder = api.content.create(
        portal, "Folder", id="board-meeting", title="Board meeting"
    )
    api.content.transition(folder, "publish")
    for docid, title in DOCUMENTS.items():
        doc = api.content.create(folder, "Document", id=docid, title=title)
        api.content.transition(doc, "publish")
    tracking.enable(folder)
    api.user.grant_roles(username="erin", obj=folder, roles=["Editor"])
    readers.set_expectation(folder, ["board"], deadline=MEETING)
    readers.set_expectation(
        folder["budget-proposal"], ["board"], deadline=MEETING, confirm=True
    )


def to_live(site, text):
    return text.replace(DEMO_URL, site["url"]).replace(DEMO_DSN, site["dsn"])


def to_demo(site, text):
    text = text.replace(site["url"], DEMO_URL).replace(site["dsn"], DEMO_DSN)
    return text.replace("/plone/", "/Plone/")


# -- sending ---------------------------------------------------------------------------


def send(site, request):
    first, headers, body = split_message(request)
    method, path, _version = first.split()
    path = path.removeprefix("/Plone")
    headers["User-Agent"] = DESKTOP_UA
    auth = re.fullmatch(r"Bearer <token of (\w+)>", headers.get("Authorization", ""))
    if auth:
        token = login(site["url"], auth.group(1), PASSWORD)
        headers["Authorization"] = f"Bearer {token}"
    body = to_live(site, body)
    if '"<token>"' in body or '"<expired token>"' in body:
        body = with_tokens(site, path, headers, body)
    return requests.request(
        method,
        f"{site['url']}{path}",
        headers=headers,
        data=body.encode("utf-8") if body else None,
        timeout=30,
    )


def with_tokens(site, path, headers, body):
    """The body with the hit token (and an expired one) of this member."""
    item = path.rsplit("/@", 1)[0]
    found = requests.get(f"{site['url']}{item}/@tracking", headers=headers, timeout=30)
    token = found.json()["hit"]["token"]
    payload = json.loads(tokens._b64decode(token.split(".")[0]))
    transaction.begin()
    obj = api.content.get(path=item)
    old = time.time() - tokens.DEFAULT_TTL - 3601
    expired = tokens.make_token(payload["m"], obj, api.portal.get(), now=old)
    body = body.replace('"<token>"', json.dumps(token))
    return body.replace('"<expired token>"', json.dumps(expired))


# -- comparing -------------------------------------------------------------------------

UID = re.compile(r"[0-9a-f]{32}")


def normal(site, value):
    """``value`` with what differs from run to run replaced by placeholders."""
    if isinstance(value, dict):
        return {k: normal(site, v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(site, v) for v in value]
    if not isinstance(value, str):
        return value
    if tokens.TOKEN_SHAPE.fullmatch(value) and len(value) > 60:
        return "<token>"
    if UID.fullmatch(value):
        return "<uid>"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return to_demo(site, value)
    if moment.tzinfo and abs(moment - datetime.now(UTC)) < timedelta(days=2):
        return "<now>"
    return value


def matches(documented, live):
    if documented == "...":
        return True
    if isinstance(documented, dict) and isinstance(live, dict):
        shown = {k: v for k, v in documented.items() if k != "..."}
        if "..." not in documented and set(shown) != set(live):
            return False
        return all(k in live and matches(v, live[k]) for k, v in shown.items())
    if isinstance(documented, list) and isinstance(live, list):
        return len(documented) == len(live) and all(
            matches(d, v) for d, v in zip(documented, live, strict=True)
        )
    return documented == live


def kept(documented, live):
    """``live`` shortened where the documented answer elides."""
    if documented == "...":
        return "..."
    if isinstance(documented, dict) and isinstance(live, dict):
        if "..." in documented:
            found = {k: kept(documented[k], live[k]) for k in documented if k in live}
            found.pop("...", None)
            return found | {"...": "..."}
        return {k: kept(documented.get(k), v) for k, v in live.items()}
    if isinstance(documented, list) and isinstance(live, list):
        if len(documented) == len(live):
            return [kept(d, v) for d, v in zip(documented, live, strict=True)]
    return live


def answer_text(response, body):
    lines = [f"HTTP/1.1 {response.status_code} {response.reason}"]
    if response.content:
        lines.append(f"Content-Type: {response.headers['Content-Type']}")
    text = "\n".join(lines)
    if body is not None:
        text += "\n\n" + json.dumps(body, indent=2, ensure_ascii=False)
    return text


@pytest.mark.parametrize(
    ("request_text", "answer"),
    EXAMPLES,
    ids=[r.splitlines()[0] for r, _a in EXAMPLES],
)
def test_example(site, request_text, answer):
    documented = "\n".join(line[3:] for line in LINES[answer[0] : answer[1]])
    status, headers, body = split_message(documented)
    response = send(site, request_text)
    live = normal(site, response.json()) if response.content else None
    if UPDATE:
        wanted = json.loads(body) if body else None
        site["answers"][answer] = answer_text(response, kept(wanted, live))
        return
    assert f"{response.status_code} {response.reason}" == status.split(" ", 1)[1]
    if "Content-Type" in headers:
        assert response.headers["Content-Type"] == headers["Content-Type"]
    if body:
        assert matches(json.loads(body), live), json.dumps(live, indent=2)
    else:
        assert not response.content


def write_answers(answers):
    # Never into a file that changed meanwhile: the line numbers would lie.
    assert DOC.read_text() == TEXT, "docs/restapi.rst changed during the run"
    lines = list(LINES)
    for (first, end), text in sorted(answers.items(), reverse=True):
        lines[first:end] = [f"   {line}".rstrip() for line in text.splitlines()]
    DOC.write_text("\n".join(lines) + "\n")


def test_the_page_is_valid_restructuredtext():
    """Every example block parses (Sphinx's ``:doc:`` role stood in for)."""
    from docutils import nodes
    from docutils.core import publish_doctree
    from docutils.parsers.rst import roles
    import io

    roles.register_generic_role("doc", nodes.emphasis)
    problems = io.StringIO()
    publish_doctree(TEXT, settings_overrides={"warning_stream": problems})
    assert problems.getvalue() == ""
    assert len(EXAMPLES) >= 10
