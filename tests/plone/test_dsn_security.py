"""The DSN's password stays where it belongs, and can stay out of the ZODB."""

from pathlib import Path
from plone import api
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.dsn import MASK
from zope.component import getUtility
import psycopg2
import socket
import threading
import transaction


RECORD = "slc.clicktracker.dsn"


def save_dsn(browser, panel_url, dsn):
    browser.open(panel_url)
    browser.getControl(name="form.widgets.dsn").value = dsn
    browser.getControl("Save").click()


def stored_dsn():
    transaction.begin()
    return api.portal.get_registry_record(RECORD)


class FakeServer:
    """Listens on a local TCP port and keeps whatever a client sends."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                self.received.append(b"")
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.socket.close()


def test_the_stored_password_never_goes_to_another_host(
    functional, owner_browser, panel_url
):
    dsn = functional["pg_dsn"] + " password=the-real-secret"
    api.portal.set_registry_record(RECORD, dsn)
    transaction.commit()
    fake = FakeServer()
    try:
        save_dsn(
            owner_browser,
            panel_url,
            f"host=127.0.0.1 port={fake.port} dbname=x user=y password={MASK}",
        )
    finally:
        fake.close()
    assert "Type the password for this connection" in owner_browser.contents
    assert fake.received == []  # refused before any connection was tried
    assert stored_dsn() == dsn


def test_a_libpq_service_file_keeps_the_dsn_free_of_secrets(
    functional, owner_browser, panel_url, tmp_path, monkeypatch
):
    cluster = functional["pg_cluster"]
    services = tmp_path / "pg_service.conf"
    services.write_text(
        "[clicktracker]\n"
        f"host={cluster.tmpdir}\nport={cluster.executor.port}\n"
        f"dbname={functional['pg_dbname']}\nuser={cluster.executor.user}\n"
    )
    # libpq reads it from the environment of the Zope process.
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    save_dsn(owner_browser, panel_url, "service=clicktracker")
    assert "Changes saved" in owner_browser.contents
    assert stored_dsn() == "service=clicktracker"
    storage = getUtility(IClickStorage)
    storage.setup_database()
    assert storage.logAccess("alice", "/plone/d", "http://nohost/plone/d")
    assert [r.member for r in storage.getLog("/plone")] == ["alice"]


def require_password(cluster, role, password):
    """A role that must log in with a password over TCP (SCRAM)."""
    cluster.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' SUPERUSER")
    hba = Path(cluster.tmpdir) / "data" / "pg_hba.conf"
    rules = hba.read_text()
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + rules)
    cluster.execute("SELECT pg_reload_conf()")


def test_a_libpq_password_file_keeps_the_password_out_of_the_zodb(
    functional, owner_browser, panel_url, cluster, tmp_path
):
    require_password(cluster, "reader", "file-secret")
    dbname = cluster.create_database()
    dsn = f"host=127.0.0.1 port={cluster.executor.port} dbname={dbname} user=reader"
    # Without the password, the connection is refused ...
    save_dsn(owner_browser, panel_url, dsn)
    assert "Cannot connect to this database" in owner_browser.contents
    # ... with the password file named in the DSN, it works.
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{cluster.executor.port}:*:reader:file-secret\n")
    passfile.chmod(0o600)
    save_dsn(owner_browser, panel_url, f"{dsn} passfile={passfile}")
    assert "Changes saved" in owner_browser.contents
    assert "file-secret" not in stored_dsn()
    storage = getUtility(IClickStorage)
    storage.setup_database()
    assert storage.logAccess("alice", "/plone/d", "http://nohost/plone/d")
    conn = psycopg2.connect(cluster.dsn(dbname))
    with conn, conn.cursor() as cur:
        cur.execute("SELECT member FROM clicktracker.hits")
        assert cur.fetchall() == [("alice",)]
    conn.close()
