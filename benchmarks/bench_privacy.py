"""A member's data rights at 1M hits: export, erase, pseudonymise, and the
purge over every table, while threads keep logging hits.

Starts its own PostgreSQL cluster (fsync on), loads 1,000,000 hits of
1,000 members over 400 days with visits, access totals, received ids,
confirmations and reminders, then times each operation and the hit
logging latency before and during it. Prints measurements only.

    PG_BINDIR=/usr/lib/postgresql/15/bin .venv/bin/python benchmarks/bench_privacy.py
"""

from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.testing.cluster import PostgresCluster
import random
import statistics
import threading
import time


HITS = 1_000_000
MEMBERS = 1_000
DOCUMENTS = 5_000
DAYS = 400
HITS_PER_VISIT = 10
LOGGERS = 2  # threads logging hits all along
KEY = b"benchmark-pseudonym-key-0123456789"


def load(dsn):
    """The data, in a few set-based statements; the storage used for them."""
    storage = PostgresqlStorage(dsn, statement_timeout_ms=0)
    storage.setup_database()

    def fill(cur):
        cur.execute(
            "INSERT INTO clicktracker.documents (uid, path, title)"
            " SELECT md5(i::text), '/Plone/f' || i / 100 || '/doc' || i %% 100,"
            " 'Document ' || i FROM generate_series(0, %s - 1) i",
            (DOCUMENTS,),
        )
        # Visit v holds hits v*10 .. v*10+9 of one member, a minute apart;
        # visits are spread evenly over the days, oldest first.
        # A member reads ~900 of the documents: about as many access totals.
        cur.execute(
            "INSERT INTO clicktracker.hits"
            " (at, member, document_id, url, visit_id, seconds, depth, reached_end)"
            " SELECT now() - (%(days)s * interval '1 day') * (1 - i::float / %(n)s)"
            "   + (i %% %(per)s) * interval '1 minute',"
            " 'member' || (i / %(per)s) %% %(members)s, doc,"
            " 'http://nohost/Plone/doc' || doc, 'v' || i / %(per)s, 30, 80,"
            " i %% 3 = 0"
            " FROM (SELECT i, 1 + abs(hashint4(i)) %% %(docs)s AS doc"
            " FROM generate_series(0, %(n)s - 1) i) g",
            {
                "days": DAYS,
                "n": HITS,
                "per": HITS_PER_VISIT,
                "members": MEMBERS,
                "docs": DOCUMENTS,
            },
        )
        cur.execute(
            "INSERT INTO clicktracker.visits"
            " (id, member, started, last_hit, hits, user_agent, last_url, last_hit_id)"
            " SELECT visit_id, min(member), min(at), max(at), count(*),"
            " 'Mozilla/5.0 (X11; Linux x86_64)', max(url), max(id)"
            " FROM clicktracker.hits GROUP BY visit_id"
        )
        cur.execute(
            "INSERT INTO clicktracker.access"
            " SELECT document_id, member, url, count(*), min(at), max(at),"
            " sum(seconds), bool_or(reached_end)"
            " FROM clicktracker.hits GROUP BY document_id, member, url"
        )
        # The last 30 days' ids (older ones are pruned), time-ordered UUIDs.
        cur.execute(
            "INSERT INTO clicktracker.received (hit_id, hit, seconds, depth,"
            " reached_end) SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)"
            "::bigint), 12, '0') || '7' || substr(md5(id::text), 1, 3) || '8'"
            " || substr(md5(id::text), 4, 15))::uuid, id, seconds, depth,"
            " reached_end FROM clicktracker.hits"
            " WHERE at > now() - interval '30 days'"
        )
        for table, column in (("confirmations", "confirmed"), ("reminders", "sent")):
            cur.execute(
                f"INSERT INTO clicktracker.{table} (document_id, member, {column})"  # noqa: S608
                " SELECT 1 + i %% %s, 'member' || i %% %s,"
                " now() - random() * %s * interval '1 day'"
                " FROM generate_series(0, 19999) i ON CONFLICT DO NOTHING",
                (DOCUMENTS, MEMBERS, DAYS),
            )
        for table in ("documents", "hits", "visits", "access", "received"):
            cur.execute(f"VACUUM ANALYZE clicktracker.{table}")

    started = time.monotonic()
    storage.pool.run(fill)
    return storage, time.monotonic() - started


class Loggers:
    """Threads logging hits in visits, each call's latency recorded."""

    def __init__(self, dsn):
        self.storage = PostgresqlStorage(dsn, pool_size=LOGGERS)
        self.latencies = []  # (finished at, seconds)
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.log, args=(t,)) for t in range(LOGGERS)
        ]
        for thread in self.threads:
            thread.start()

    def log(self, t):
        visit = None
        while not self.stop.is_set():
            doc = random.randrange(DOCUMENTS)
            path = f"/Plone/f{doc // 100}/doc{doc % 100}"
            started = time.perf_counter()
            result = self.storage.log_visit(
                f"live{t}", path, "http://nohost" + path, visit
            )
            self.latencies.append((time.monotonic(), time.perf_counter() - started))
            assert result.stored
            visit = result.visit_id

    def figures(self, since, until):
        """(calls/s, median ms, max ms) of the calls between two times."""
        times = [s for at, s in self.latencies if since <= at < until]
        if not times:
            return 0.0, 0.0, 0.0
        return (
            len(times) / (until - since),
            statistics.median(times) * 1000,
            max(times) * 1000,
        )

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()
        backlog = self.storage.status()["backlog"]
        self.storage.close()
        return backlog


def timed(loggers, label, call):
    """Run ``call`` between two quiet seconds; print it and the logging."""
    time.sleep(1)
    before = time.monotonic()
    time.sleep(2)
    started = time.monotonic()
    result = call()
    ended = time.monotonic()
    idle = loggers.figures(before, started)
    busy = loggers.figures(started, max(ended, started + 0.001))
    rows = sum(result.values()) if isinstance(result, dict) else result
    print(
        f"{label:<44} {rows:>9,} {ended - started:>8.2f}"
        f" {idle[0]:>7.0f} {idle[1]:>6.1f} {idle[2]:>7.1f}"
        f" {busy[0]:>7.0f} {busy[1]:>6.1f} {busy[2]:>7.1f}"
    )
    return result


def main():
    cluster = PostgresCluster(postgres_options="-c fsync=on")
    cluster.start()
    try:
        dsn = cluster.dsn(cluster.create_database())
        storage, took = load(dsn)
        counts = storage.pool.run(
            lambda cur: (
                cur.execute(
                    "SELECT (SELECT count(*) FROM clicktracker.hits),"
                    " (SELECT count(*) FROM clicktracker.visits),"
                    " (SELECT count(*) FROM clicktracker.access),"
                    " (SELECT count(*) FROM clicktracker.received)"
                )
                or cur.fetchone()
            )
        )
        print(
            f"loaded {counts[0]:,} hits, {counts[1]:,} visits, {counts[2]:,} access"
            f" totals, {counts[3]:,} received ids of {MEMBERS:,} members"
            f" in {took:.0f} s"
        )
        storage.close()
        storage = PostgresqlStorage(dsn)
        loggers = Loggers(dsn)
        print(
            f"{LOGGERS} threads log hits all along: hits/s, median and max"
            " latency (ms), in the 2 s before and during each operation"
        )
        print(
            f"{'operation':<44} {'rows':>9} {'seconds':>8}"
            f" {'hits/s':>7} {'med':>6} {'max':>7} {'hits/s':>7} {'med':>6} {'max':>7}"
        )
        try:
            data = timed(
                loggers,
                "export one member (member_data)",
                lambda: {t: len(r) for t, r in storage.member_data("member7").items()},
            )
            print(f"  rows per table: {data}")
            timed(loggers, "erase one member", lambda: storage.erase_member("member7"))
            timed(
                loggers,
                "pseudonymise one member",
                lambda: storage.pseudonymise_member("member8", "~benchmark8"),
            )
            changed = timed(
                loggers,
                "pseudonymise_before(200 days), every member",
                lambda: storage.pseudonymise_before(200, KEY),
            )
            print(f"  rows per table: {changed}")
            timed(
                loggers,
                "pseudonymise_before(200 days) again",
                lambda: storage.pseudonymise_before(200, KEY),
            )
            removed = timed(
                loggers, "purge(keep_days=300), every table", lambda: storage.purge(300)
            )
            print(f"  rows per table: {removed}")
        finally:
            backlog = loggers.close()
            storage.close()
        print(f"hits logged meanwhile: {len(loggers.latencies):,}; spooled: {backlog}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
