"""A throwaway PostgreSQL cluster for tests and benchmarks (no Zope needed)."""

from pathlib import Path
from slc.clicktracker.testing import localpg
import atexit
import itertools
import os
import psycopg2
import shutil
import tempfile
import time


class PostgresCluster:
    """One throwaway PostgreSQL cluster: temp dir, unix socket, fsync off.

    Process management is mirakuru's, through pytest-postgresql's executor.
    Every test gets its own database cloned from ``template`` (fast: a file
    copy), so tests never see each other's rows.
    """

    template = "ct_template"
    # Tests need no durability; benchmarks pass "" for PostgreSQL's defaults.
    fast_options = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"

    def __init__(self, postgres_options=fast_options):
        self.postgres_options = postgres_options
        self.executor = None
        self.tmpdir = None
        self._counter = itertools.count(1)

    @property
    def running(self):
        return self.executor is not None

    def start(self):
        if self.running:
            return
        # Imported here: only test runs need them, not the installed add-on.
        from port_for import select_random
        from pytest_postgresql.executors import PostgreSQLExecutor

        self.tmpdir = tempfile.mkdtemp(prefix="slc-ct-pg-")
        localpg.hand_over(self.tmpdir)
        executor = PostgreSQLExecutor(
            executable=localpg.wrapper_script(self.tmpdir),
            host="127.0.0.1",
            port=select_random(),
            datadir=str(Path(self.tmpdir) / "data"),
            unixsocketdir=self.tmpdir,
            logfile=str(Path(self.tmpdir) / "postgresql.log"),
            startparams="-w",
            dbname="postgres",
            postgres_options=self.postgres_options,
        )
        executor.start()
        self.executor = executor
        atexit.register(self.stop)
        self.wait_ready()
        self.execute(f"CREATE DATABASE {self.template}")

    def stop(self):
        if self.executor is not None:
            self.executor.stop()
            self.executor = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def processes(self):
        """The server's processes (postmaster first), as psutil.Process."""
        import psutil

        pidfile = Path(self.tmpdir) / "data" / "postmaster.pid"
        main = psutil.Process(int(pidfile.read_text().split()[0]))
        return [main, *main.children(recursive=True)]

    def freeze(self):
        """Stop every server process (SIGSTOP): a hung server that accepts
        connections and answers nothing, like a network black hole."""
        for process in self.processes():
            process.suspend()

    def resume(self):
        """Let a frozen server go on (SIGCONT); harmless when running."""
        if self.executor is None:
            return
        for process in self.processes():
            process.resume()

    def restart(self):
        """Start a stopped server again and wait until it takes queries."""
        self.executor.start()
        self.wait_ready()

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(self.dsn()).close()
                return
            except psycopg2.OperationalError:
                # "the database system is starting up", for a moment.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def dsn(self, dbname="postgres"):
        return (
            f"host={self.tmpdir} port={self.executor.port} "
            f"dbname={dbname} user={self.executor.user}"
        )

    def execute(self, sql, dbname="postgres"):
        conn = psycopg2.connect(self.dsn(dbname))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def create_database(self):
        """A new, empty database cloned from the template; returns its DSN."""
        name = f"ct_test_{os.getpid()}_{next(self._counter)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return name

    def drop_database(self, name):
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


CLUSTER = PostgresCluster()
