-- slc.clicktracker: schema version 6 -- how long and how far each view was read.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
-- The function that writes these columns is clicktracker.log_reading in
-- ../db.sql; the tracking script reports the figures (docs/usage.rst).
--
-- All new columns are NULL for what was stored before: "unknown", never
-- zero. Adding a column without a default rewrites no table, so this is
-- quick at any size.

-- Per view (one showing of a page, named by its hit id): the figures the
-- script reported last, so that a replayed or late update adds nothing.
-- ``hit`` is the row of hits the view was counted on (a reload's: the
-- click it repeats). Pruned with the ids after 30 days, like before.
ALTER TABLE clicktracker.received
    ADD COLUMN IF NOT EXISTS hit bigint,
    ADD COLUMN IF NOT EXISTS seconds integer,
    ADD COLUMN IF NOT EXISTS depth smallint,
    ADD COLUMN IF NOT EXISTS reached_end boolean;

-- Per click: reading seconds of its views summed, the deepest point of the
-- main content reached (percent), whether its end came into view.
ALTER TABLE clicktracker.hits
    ADD COLUMN IF NOT EXISTS seconds integer,
    ADD COLUMN IF NOT EXISTS depth smallint,
    ADD COLUMN IF NOT EXISTS reached_end boolean;

-- Per member, document and address: the running totals of the same.
ALTER TABLE clicktracker.access
    ADD COLUMN IF NOT EXISTS seconds bigint,
    ADD COLUMN IF NOT EXISTS reached_end boolean;

-- receive() now also takes the click's row (see ../db.sql); the old
-- signature goes. Until db.sql is loaded a moment later, a hit that calls
-- it fails and is spooled, then replayed (see README.rst).
DROP FUNCTION IF EXISTS clicktracker.receive(uuid);
