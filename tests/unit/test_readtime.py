"""Reading time and depth per view on PostgreSQL (issue 13): figures only
grow, each view adds to its click and to the member's totals once, and an
update for a view that was never stored is refused."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IReadingTimeStorage
from slc.clicktracker.storage.hits import new_hit_id
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DOC = "/Plone/board/agenda"
URL = "https://site/board/agenda"


def hit(storage, member="ann", url=URL, minutes=0, visit=None, **kw):
    """Store one view inside a visit; (hit id, visit id)."""
    hit_id = new_hit_id()
    result = storage.log_visit(
        member,
        DOC,
        url,
        visit,
        uid="u1",
        when=T0 + timedelta(minutes=minutes),
        user_agent="Mozilla/5.0",
        hit_id=hit_id,
        **kw,
    )
    assert result.stored and not result.duplicate
    return hit_id, result.visit_id


def clicks(dsn):
    return query(
        dsn,
        "SELECT member, seconds, depth, reached_end, reloads"
        " FROM clicktracker.hits ORDER BY id",
    )


def totals(dsn):
    return query(
        dsn,
        "SELECT member, url, count, seconds, reached_end"
        " FROM clicktracker.access ORDER BY member, url",
    )


def test_provides_the_interface(storage):
    assert verifyObject(IReadingTimeStorage, storage)


def test_unknown_until_the_first_update(storage, pg_dsn):
    hit(storage)
    assert clicks(pg_dsn) == [("ann", None, None, None, 0)]
    assert totals(pg_dsn) == [("ann", URL, 1, None, None)]


def test_a_glance_is_zero_seconds_not_unknown(storage, pg_dsn):
    view, _visit = hit(storage)
    assert storage.log_reading(view, "ann", 0, 10, False)
    assert clicks(pg_dsn) == [("ann", 0, 10, False, 0)]
    assert totals(pg_dsn) == [("ann", URL, 1, 0, False)]


def test_figures_only_grow_and_count_once(storage, pg_dsn):
    view, _visit = hit(storage)
    assert storage.log_reading(view, "ann", 20, 30, False)
    assert storage.log_reading(view, "ann", 45, 60, False)
    # Replayed and out of order: nothing is lowered or counted again.
    assert storage.log_reading(view, "ann", 20, 30, False)
    assert storage.log_reading(view, "ann", 45, 60, False)
    assert clicks(pg_dsn) == [("ann", 45, 60, False, 0)]
    # The end, then an older update that had not reached it.
    assert storage.log_reading(view, "ann", 50, 100, True)
    assert storage.log_reading(view, "ann", 48, 70, False)
    assert clicks(pg_dsn) == [("ann", 50, 100, True, 0)]
    assert totals(pg_dsn) == [("ann", URL, 1, 50, True)]


def test_views_add_up_per_click_and_per_member(storage, pg_dsn):
    first, visit = hit(storage)
    other, visit = hit(storage, url=URL + "?page=2", minutes=1, visit=visit)
    # The same URL again at once: a reload of the second click.
    reload, visit = hit(storage, url=URL + "?page=2", minutes=2, visit=visit)
    assert storage.log_reading(first, "ann", 30, 50, False)
    assert storage.log_reading(other, "ann", 10, 100, True)
    assert storage.log_reading(reload, "ann", 25, 40, False)
    assert clicks(pg_dsn) == [
        ("ann", 30, 50, False, 0),
        ("ann", 35, 100, True, 1),
    ]
    assert totals(pg_dsn) == [
        ("ann", URL, 1, 30, False),
        ("ann", URL + "?page=2", 2, 35, True),
    ]


def test_logaccess_views_take_updates_too(storage, pg_dsn):
    view = new_hit_id()
    assert storage.logAccess("bob", DOC, URL, uid="u1", when=T0, hit_id=view)
    assert storage.log_reading(view, "bob", 90, 100, True)
    assert totals(pg_dsn) == [("bob", URL, 1, 90, True)]


def test_a_view_never_stored_is_refused(storage, pg_dsn):
    hit(storage)
    assert not storage.log_reading(new_hit_id(), "ann", 30, 50, True)
    assert clicks(pg_dsn) == [("ann", None, None, None, 0)]


def test_another_members_view_is_refused(storage, pg_dsn):
    view, _visit = hit(storage)
    assert not storage.log_reading(view, "eve", 600, 100, True)
    assert clicks(pg_dsn) == [("ann", None, None, None, 0)]
    # Refused before anything was kept: the owner's update still counts.
    assert storage.log_reading(view, "ann", 5, 5, False)
    assert clicks(pg_dsn) == [("ann", 5, 5, False, 0)]


def test_a_bot_visit_has_no_totals_to_add_to(storage, pg_dsn):
    view, _visit = hit(storage, member="crawler", is_bot=True)
    assert storage.log_reading(view, "crawler", 12, 100, True)
    assert clicks(pg_dsn) == [("crawler", 12, 100, True, 0)]
    assert totals(pg_dsn) == []


def test_concurrent_updates_of_one_view_count_once(storage, pg_dsn):
    view, _visit = hit(storage)

    def update(seconds):
        return storage.log_reading(view, "ann", seconds, seconds, False)

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(update, [10, 20, 30, 40, 50, 60, 70, 80] * 4))
    assert clicks(pg_dsn) == [("ann", 80, 80, False, 0)]
    assert totals(pg_dsn) == [("ann", URL, 1, 80, False)]


@pytest.mark.parametrize(
    "figures",
    [(-1, 0, False), (10, 101, False), (10, -5, True), (1.5, 10, False)],
)
def test_figures_out_of_range_are_refused(storage, figures):
    view, _visit = hit(storage)
    with pytest.raises(ValueError):
        storage.log_reading(view, "ann", *figures)


def test_a_malformed_view_id_is_refused(storage):
    with pytest.raises(ValueError):
        storage.log_reading("not-a-uuid", "ann", 1, 1, False)
