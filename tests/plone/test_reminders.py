"""Reminders (issue 12): the "Remind those who have not read" step and the
scheduled run, over a real SMTP server (aiosmtpd) — who gets a mail, what
it says, who is left out and why, never twice within the interval, and who
may send them.
"""

from datetime import timedelta
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import reminders
from slc.clicktracker import tracking
from slc.clicktracker.reminders import cli
from slc.clicktracker.testing.smtp import configure_mailhost
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import has_element
from tests.plone.helpers import hit
from tests.plone.helpers import tree
from unittest import mock
from zope.component.hooks import setSite
import io
import pytest
import re
import transaction


DOC = "/plone/folder/doc"
DEADLINE = DAY + timedelta(days=1)


@pytest.fixture
def board(roles_site, storage, smtp):
    """Board (Ada "member", Cy "editor") and Sam "siteadmin" are expected by
    DEADLINE; Ada has read the document, Cy and Sam have not. Sam has no
    e-mail address."""
    create_board()
    folder = roles_site["folder"]
    tracking.enable(folder)
    readers.set_expectation(folder, ["board", "siteadmin"], deadline=DEADLINE)
    api.user.get(username="siteadmin").setMemberProperties({"email": ""})
    configure_mailhost(smtp)
    transaction.commit()
    hit(storage, "member", DOC, DAY)
    return roles_site


def remind_url(site):
    return site["folder"]["doc"].absolute_url() + "/@@clicktracker-remind"


def ids(element_id, browser):
    return [
        " ".join(li.text_content().split())
        for li in tree(browser).xpath(f'//*[@id="{element_id}"]//li')
    ]


def send(browser):
    browser.getControl(name="_authenticator")  # the form carries it
    browser.getForm(action="@@clicktracker-remind").submit()


def test_the_step_lists_recipients_and_sends_nothing(functional, board, smtp):
    browser = browser_as(functional, "editor")
    browser.open(remind_url(board))
    assert ids("remind-recipients", browser) == [
        "Cy Editor (editor, editor@example.org)"
    ]
    assert ids("remind-without-email", browser) == ["Sam Admin (siteadmin)"]
    assert not has_element(browser, "remind-recent")
    assert smtp.messages == []


def test_sending_mails_those_who_have_not_read(functional, board, smtp):
    browser = browser_as(functional, "editor")
    browser.open(remind_url(board))
    send(browser)
    assert "One reminder sent." in browser.contents
    assert ids("remind-outcome-without-email", browser) == ["Sam Admin (siteadmin)"]
    [message] = smtp.messages
    assert message["To"] == "editor@example.org"
    assert message["Subject"] == "Please read: Doc"
    assert "Board office" in message["From"]
    body = message.get_content().replace("\r\n", "\n")
    assert "Hello Cy Editor," in body
    assert re.search(r"^http://[^/]+/plone/folder/doc$", body, re.MULTILINE)
    assert "2024-03-02 12:00 (UTC)" in body
    # The sender named in the text is the member who pressed the button.
    assert "Cy Editor sent you this reminder" in body


def test_nobody_is_reminded_twice_within_the_interval(functional, board, smtp):
    browser = browser_as(functional, "editor")
    browser.open(remind_url(board))
    send(browser)
    browser.open(remind_url(board))
    assert ids("remind-recipients", browser) == []
    assert ids("remind-recent", browser)[0].startswith("Cy Editor (editor)")
    assert browser.getControl("Send reminders").disabled
    # Even a second POST (another tab, a double click) sends nothing more.
    browser.open(remind_url(board))
    send(browser)
    assert "No reminder sent." in browser.contents
    assert len(smtp.messages) == 1


def test_the_scheduled_run_and_the_button_share_the_interval(board, smtp):
    doc = board["folder"]["doc"]
    first = reminders.send(doc)
    assert [r.member for r in first.sent] == ["editor"]
    again = reminders.send(doc)
    assert again.sent == [] and [r.member for r, _ in again.recent] == ["editor"]
    # With an interval of 0 days, the next run reminds again.
    api.portal.set_registry_record("slc.clicktracker.reminder_interval_days", 0)
    assert [r.member for r in reminders.send(doc).sent] == ["editor"]
    assert len(smtp.messages) == 2


def test_a_mail_that_fails_is_tried_again_next_time(board, smtp):
    doc = board["folder"]["doc"]
    # The mail server is down: nothing listens there.
    api.portal.set_registry_record("plone.smtp_port", 9)
    outcome = reminders.send(doc)
    assert outcome.sent == [] and [r.member for r, _ in outcome.failed] == ["editor"]
    api.portal.set_registry_record("plone.smtp_port", smtp.port)
    assert [r.member for r in reminders.send(doc).sent] == ["editor"]


def test_templates_come_from_the_control_panel(board, smtp):
    api.portal.set_registry_record(
        "slc.clicktracker.reminder_subject", "Before the vote: ${title}"
    )
    api.portal.set_registry_record(
        "slc.clicktracker.reminder_body", "Dear ${fullname}, see ${url} by ${deadline}."
    )
    reminders.send(board["folder"]["doc"], sender="Chair")
    [message] = smtp.messages
    assert message["Subject"] == "Before the vote: Doc"
    assert message.get_content().strip() == (
        f"Dear Cy Editor, see {board['folder']['doc'].absolute_url()} "
        "by 2024-03-02 12:00 (UTC)."
    )


def test_a_site_without_a_mail_server_says_so(functional, board, smtp):
    api.portal.set_registry_record("plone.smtp_host", "")
    transaction.commit()
    browser = browser_as(functional, "editor")
    browser.open(remind_url(board))
    assert "The site has no mail server" in browser.contents
    assert browser.getControl("Send reminders").disabled
    send(browser)
    assert "The site has no mail server" in browser.contents
    assert smtp.messages == []


def test_a_forged_post_is_refused(functional, board, smtp):
    browser = browser_as(functional, "editor")
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    browser.post(remind_url(board), "x=1")
    assert browser.headers["status"].startswith("403")
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("name", "allowed"), [("member", False), ("editor", True), ("manager", True)]
)
def test_who_may_remind(functional, board, name, allowed):
    browser = browser_as(functional, name)
    url = remind_url(board)
    if allowed:
        browser.open(url)
        assert has_element(browser, "remind-send")
    else:
        # As in production: a logged-in member without the permission is
        # sent to Plone's "insufficient privileges" page.
        browser.handleErrors = True
        browser.raiseHttpErrors = False
        browser.open(url)
        assert browser.url.endswith("/insufficient-privileges")
        assert not has_element(browser, "remind-send")


def test_an_item_without_expected_readers(functional, board, smtp):
    readers.clear_expectation(board["folder"])
    transaction.commit()
    browser = browser_as(functional, "manager")
    browser.open(remind_url(board))
    assert has_element(browser, "remind-none")
    assert not has_element(browser, "remind-send")


# -- the scheduled run ------------------------------------------------------------


def freeze(when):
    """The scheduled run's "now" (the deadline window is relative to it)."""
    from slc.clicktracker.reminders import due

    real = due.datetime

    class Frozen(real):
        @classmethod
        def now(cls, tz=None):
            return when

    return mock.patch.object(due, "datetime", Frozen)


def run_cli(functional, *argv):
    out = io.StringIO()
    try:
        status = cli.main(
            ["--zope-conf", "unused", "--site", "plone", *argv],
            out=out,
            app=functional["app"],
        )
    finally:
        setSite(functional["portal"])
    return status, out.getvalue()


def test_the_scheduled_run_reminds_for_deadlines_ahead(functional, board, smtp):
    # The deadline is a day after DAY; the run pretends it is DAY.
    with freeze(DAY):
        status, out = run_cli(
            functional, "--url", "https://intranet.example.org/board", "--days", "2"
        )
    assert status == 0
    assert out.splitlines() == [
        "/plone/folder/doc (deadline 2024-03-02 12:00 UTC):",
        "  reminded editor <editor@example.org>",
        "  no e-mail address: siteadmin",
    ]
    [message] = smtp.messages
    # --url: the link is the public address, as a virtual host gives it.
    assert "https://intranet.example.org/board/folder/doc" in message.get_content()


def test_the_scheduled_run_leaves_far_deadlines_alone(functional, board, smtp):
    with freeze(DAY - timedelta(days=5)):
        status, out = run_cli(functional, "--days", "2")
    assert status == 0
    assert out.strip() == "No item has a deadline within the reminder window."
    assert smtp.messages == []


def test_a_dry_run_sends_nothing(functional, board, smtp):
    with freeze(DAY):
        status, out = run_cli(functional, "--dry-run")
    assert "  would remind editor <editor@example.org>" in out.splitlines()
    assert smtp.messages == []
    assert reminders.plan(board["folder"]["doc"], DAY).to_remind  # nothing claimed


def test_the_scheduled_run_without_a_mail_server(functional, board, smtp, capsys):
    api.portal.set_registry_record("plone.smtp_host", "")
    with freeze(DAY):
        status, _out = run_cli(functional)
    assert status == 1
    assert "no mail server" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--site", "x"], ["--zope-conf", "z", "--site", "x", "--days", "-1"]]
)
def test_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.parse(argv)
    assert stopped.value.code == 2
    assert "clicktracker-remind" in capsys.readouterr().err
