"""Recorded hits follow content that is renamed or moved."""

from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
import pytest
import transaction


@pytest.fixture
def doc(functional, storage):
    portal = functional["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(container=portal, type="Folder", id="folder")
    api.content.create(container=portal, type="Folder", id="archive")
    doc = api.content.create(container=folder, type="Document", id="doc")
    transaction.commit()
    return doc


def path_of(obj):
    return "/".join(obj.getPhysicalPath())


def read(storage, obj, member="alice"):
    storage.logAccess(
        member, path_of(obj), obj.absolute_url(), uid=obj.UID(), title=obj.Title()
    )


def log(storage, prefix):
    return sorted((row.member, row.count, row.path) for row in storage.getLog(prefix))


def test_rename_folder_moves_hits_below_it(functional, storage, doc):
    read(storage, doc)
    read(storage, doc)
    read(storage, doc, "bob")
    api.content.rename(obj=doc.aq_parent, new_id="renamed")
    transaction.commit()
    assert log(storage, "/plone/renamed") == [
        ("alice", 2, "/plone/renamed/doc"),
        ("bob", 1, "/plone/renamed/doc"),
    ]
    assert log(storage, "/plone/folder") == []


def test_rename_document(functional, storage, doc):
    read(storage, doc)
    api.content.rename(obj=doc, new_id="doc2")
    transaction.commit()
    assert log(storage, "/plone/folder") == [("alice", 1, "/plone/folder/doc2")]


def test_move_document(functional, storage, doc):
    read(storage, doc)
    archive = functional["portal"]["archive"]
    api.content.move(source=doc, target=archive)
    transaction.commit()
    assert log(storage, "/plone/archive") == [("alice", 1, "/plone/archive/doc")]
    assert log(storage, "/plone/folder") == []


def test_move_folder(functional, storage, doc):
    read(storage, doc)
    portal = functional["portal"]
    api.content.move(source=portal["folder"], target=portal["archive"])
    transaction.commit()
    assert log(storage, "/plone/archive") == [("alice", 1, "/plone/archive/folder/doc")]


def test_aborted_rename_leaves_hits(functional, storage, doc):
    # Hits move only with a committed move, not one a conflict or error undid.
    read(storage, doc)
    api.content.rename(obj=doc, new_id="doc2")
    transaction.abort()
    assert log(storage, "/plone/folder") == [("alice", 1, "/plone/folder/doc")]


def test_delete_and_add_are_not_moves(functional, storage, doc):
    read(storage, doc)
    folder = doc.aq_parent
    api.content.delete(obj=doc)
    api.content.create(container=folder, type="Document", id="new")
    transaction.commit()
    assert log(storage, "/plone/folder") == [("alice", 1, "/plone/folder/doc")]


def test_storage_failure_does_not_reach_the_user(functional, storage, doc, caplog):
    read(storage, doc)
    functional["pg_cluster"].drop_database(functional["pg_dbname"])
    api.content.rename(obj=doc, new_id="doc2")
    transaction.commit()
    assert "doc2" in doc.aq_parent.objectIds()
    assert "Could not move recorded hits" in caplog.text
