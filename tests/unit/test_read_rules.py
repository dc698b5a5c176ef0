"""Read status under "count as read when" rules (issue 13): read for at
least N seconds (one or several sittings), or read to the end."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage import ReaderTotals
from slc.clicktracker.storage.hits import new_hit_id
from tests.unit.helpers import query
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DOC = "/Plone/f/doc"
OTHER = "/Plone/f/other"


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def read(storage, member, path, minutes, seconds=None, end=False, bot=False):
    """One view at ``minutes``, then (unless seconds is None) its reading."""
    view = new_hit_id()
    result = storage.log_visit(
        member,
        path,
        f"http://nohost{path}?m={minutes}",
        when=at(minutes),
        user_agent="Mozilla/5.0",
        is_bot=bot,
        hit_id=view,
    )
    assert result.stored
    if seconds is not None:
        assert storage.log_reading(view, member, seconds, 100 if end else 50, end)


@pytest.fixture
def filled(storage):
    # ann: 40 s, then 90 s later on (two sittings: 130 s at minute 10);
    # bob: a glance that reached the end at once, then nothing;
    # cid: opened, the script never reported (unknown);
    # eve: 20 minutes on the other document.
    read(storage, "ann", DOC, 1, seconds=40)
    read(storage, "ann", DOC, 10, seconds=90, end=True)
    read(storage, "bob", DOC, 2, seconds=3, end=True)
    read(storage, "cid", DOC, 3)
    read(storage, "eve", OTHER, 4, seconds=1200)
    return storage


def read_at(rows):
    return {(row.path, row.member): row.read_at for row in rows}


def test_opened_is_the_first_view_with_the_figures(filled):
    rows = filled.read_status([DOC, OTHER])
    assert read_at(rows) == {
        (DOC, "ann"): at(1),
        (DOC, "bob"): at(2),
        (DOC, "cid"): at(3),
        (OTHER, "eve"): at(4),
    }
    figures = {row.member: (row.views, row.seconds, row.reached_end) for row in rows}
    assert figures == {
        "ann": (2, 130, True),
        "bob": (1, 3, True),
        "cid": (1, None, None),
        "eve": (1, 1200, False),
    }


def test_seconds_add_up_over_sittings(filled):
    rows = filled.read_status([DOC, OTHER], rules={DOC: (120, False)})
    assert read_at(rows) == {
        (DOC, "ann"): at(10),  # 40 + 90 s by the second sitting
        (DOC, "bob"): None,
        (DOC, "cid"): None,
        (OTHER, "eve"): at(4),  # no rule there: opened
    }
    # The same rows otherwise.
    assert [r[:7] for r in rows] == [r[:7] for r in filled.read_status([DOC, OTHER])]
    rows = filled.read_status([DOC], rules={DOC: (30, False)})
    assert read_at(rows)[(DOC, "ann")] == at(1)


def test_the_end_rule_is_met_where_the_end_was_reached(filled):
    rows = filled.read_status([DOC], rules={("", "Plone", "f", "doc"): (0, True)})
    assert read_at(rows) == {
        (DOC, "ann"): at(10),
        (DOC, "bob"): at(2),
        (DOC, "cid"): None,
    }


def test_only_the_members_asked_for(filled):
    rows = filled.read_status([DOC], members=["ann", "zed"], rules={DOC: (60, False)})
    assert read_at(rows) == {(DOC, "ann"): at(10)}


def test_bot_clicks_never_meet_a_rule(storage):
    read(storage, "ann", DOC, 1, seconds=600, end=True, bot=True)
    assert storage.read_status([DOC], rules={DOC: (0, True)}) == []


def test_purged_clicks_leave_the_totals_to_say_when(filled, pg_dsn):
    query(pg_dsn, "DELETE FROM clicktracker.hits")
    rows = filled.read_status([DOC], rules={DOC: (120, False)})
    # Met by the totals: at the latest, at the last view.
    assert read_at(rows) == {
        (DOC, "ann"): at(10),
        (DOC, "bob"): None,
        (DOC, "cid"): None,
    }


def test_reader_totals_follow_the_rules(filled):
    assert filled.reader_totals([DOC, OTHER]) == ReaderTotals(
        {"ann": 1, "bob": 1, "cid": 1, "eve": 1}, {DOC: 3, OTHER: 1}
    )
    assert filled.reader_totals(
        [DOC, OTHER], rules={DOC: (60, False), OTHER: (0, True)}
    ) == ReaderTotals({"ann": 1}, {DOC: 1})
    assert filled.reader_totals(
        [DOC, OTHER], exclude=["ann"], rules={DOC: (0, True)}
    ) == ReaderTotals({"bob": 1, "eve": 1}, {DOC: 1, OTHER: 1})


def test_a_negative_rule_is_refused(filled):
    with pytest.raises(ValueError):
        filled.read_status([DOC], rules={DOC: (-5, False)})
