-- slc.clicktracker: schema version 7 -- prepared figures for the site
-- statistics (views over time of the whole site, most and least read).
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
-- Filled by clicktracker.prepare_stats in ../db.sql, for complete past days
-- only, once a day, when the statistics are read (storage/stats.py); never
-- by a hit, so the write path pays nothing for them. Why: docs/storage.rst
-- ("Views over time and the site statistics").
--
-- Days are calendar days of a time zone (the site's), named by ``zone``
-- (an IANA name, as PostgreSQL's AT TIME ZONE takes it).

-- The whole database's views and distinct readers per complete day. A
-- day is counted once and kept: purging old hits leaves it alone.
CREATE TABLE IF NOT EXISTS clicktracker.stats_days (
    zone text COLLATE "C" NOT NULL,
    day date NOT NULL,
    views bigint NOT NULL,
    readers integer NOT NULL,
    PRIMARY KEY (zone, day)
);

-- Per document, its readers, views and median reading time in the last
-- ``days`` complete days before ``as_of`` (7, 30, 90 and 365): rebuilt
-- whole once a day, since distinct readers of a window do not add up from
-- days. Only the newest ``as_of`` of a zone is kept.
CREATE TABLE IF NOT EXISTS clicktracker.stats_documents (
    zone text COLLATE "C" NOT NULL,
    as_of date NOT NULL,
    days smallint NOT NULL,
    document_id bigint NOT NULL,  -- no FOREIGN KEY, as in hits and access
    readers integer NOT NULL,
    views bigint NOT NULL,
    median_seconds real,
    PRIMARY KEY (zone, as_of, days, document_id)
);
-- The most read first, a page at a time, without sorting every document.
CREATE INDEX IF NOT EXISTS stats_documents_rank
    ON clicktracker.stats_documents
    (zone, as_of, days, readers DESC, views DESC, document_id);

-- Which day the figures of a zone are prepared for (the first day they
-- leave out: today, once prepared), and when that was done.
CREATE TABLE IF NOT EXISTS clicktracker.stats_prepared (
    zone text COLLATE "C" PRIMARY KEY,
    as_of date NOT NULL,
    prepared timestamptz NOT NULL
);
