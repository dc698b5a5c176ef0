"""Replaying the spool: hits that waited locally go to PostgreSQL, in order.

A background thread drains the spool after every back-off until it is empty,
so hits come back even when no new hit arrives to trigger it; ``replay()``
does the same on demand.
"""

from itertools import groupby
from psycopg2.extras import execute_batch
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import queries
from slc.clicktracker.storage.hits import is_visit_hit
from slc.clicktracker.storage.pool import Unavailable
import logging
import psycopg2
import threading
import time


logger = logging.getLogger("slc.clicktracker")


class Replayer:
    """Drains the spool of ``storage`` (a PostgresqlStorage) into its pool.

    Only the hits meant for the storage's own database (its destination).
    """

    batch_size = 500
    # Seconds a batch may take: far more than a hit's deadline, since a
    # batch is hundreds of hits; still bounded, a hung server is let go.
    deadline = 10.0

    def __init__(self, storage):
        self.storage = storage
        self._lock = threading.Lock()
        self._replay_lock = threading.Lock()
        self._thread = None
        self._closed = False
        self._wake = threading.Event()  # interrupts the thread's pause

    def replay(self):
        """Replay the spool in order, in batches; each batch one transaction.

        A batch is removed from the spool only after its commit, so a crash
        in between can replay it twice, never lose it.
        """
        spool = self.storage.spool
        if spool is None:
            return 0
        storage = self.storage
        done = 0
        with self._replay_lock:
            while not self._closed and (
                batch := spool.peek(self.batch_size, storage.destination)
            ):
                try:
                    try:
                        storage.pool.run(
                            lambda cur, b=batch: self._write(cur, b), self.deadline
                        )
                    except psycopg2.DataError:
                        done += self._replay_singly(batch)
                    else:
                        spool.delete(spool_id for spool_id, _ in batch)
                        done += len(batch)
                except (psycopg2.Error, Unavailable) as error:
                    storage.note_failure(error)
                    raise storage.storage_error(
                        f"replay stopped after {done} hits", error
                    ) from error
                storage.backoff.succeeded()
        return done

    def close(self):
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @staticmethod
    def _write(cur, batch):
        cur.execute("BEGIN")
        # Runs of plain and of visit hits, each through its own function,
        # in spool order: a visit's hits must replay in the order logged.
        for visit, run in groupby(batch, key=lambda item: is_visit_hit(item[1])):
            sql = queries.LOG_VISIT if visit else queries.LOG_HIT
            params = queries.visit_params if visit else queries.hit_params
            execute_batch(cur, sql, [params(hit) for _, hit in run])
        cur.execute("COMMIT")

    def _replay_singly(self, batch):
        """One hit per transaction, dropping those PostgreSQL will never take."""
        done = 0
        for spool_id, hit in batch:
            try:
                self.storage.pool.run(
                    lambda cur, h=hit: cur.execute(*queries.write_params(h))
                )
            except psycopg2.DataError as error:
                logger.error("dropping spooled hit %r: %s", hit, error)
            else:
                done += 1
            self.storage.spool.delete([spool_id])
        return done

    def kick(self):
        """Drain the spool in a background thread, so no request waits for it.

        The thread retries after each back-off until the spool is empty, so
        hits come back even when no new hit arrives to trigger it.
        """
        storage = self.storage
        if storage.spool is None or not storage.dsn or self._closed:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._replay_until_empty,
                name="clicktracker-replay",
                daemon=True,
            )
            self._thread.start()

    def _replay_until_empty(self):
        storage = self.storage
        while not self._closed and storage.spool.has_backlog(storage.destination):
            pause = storage.backoff.retry_at - time.monotonic()
            if pause > 0:
                self._wake.wait(pause)
                continue
            try:
                self.replay()
            except StorageError:
                continue  # note_failure() has logged it and set a longer back-off
            except Exception:
                logger.exception("replaying the click spool failed")
                return
