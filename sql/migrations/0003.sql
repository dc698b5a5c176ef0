-- slc.clicktracker: schema version 3 -- every hit stored exactly once.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
--
-- A hit carries an id made where it is born (a time-ordered UUID, version 7).
-- A hit whose outcome was in doubt (its connection was given up while the
-- server may have committed it) is spooled and sent again; a replayed page
-- token sends an id again too. The ids received lately are kept here, so that
-- the second arrival changes nothing. Time-ordered ids make the primary key
-- grow at one end, and the functions prune ids older than 30 days by range.

CREATE TABLE IF NOT EXISTS clicktracker.received (
    hit_id uuid PRIMARY KEY
);

-- log_hit takes the hit id, log_visit_hit also says whether the hit was a
-- duplicate: new signatures, so the old functions go (db.sql, loaded next,
-- creates the new ones).
DROP FUNCTION IF EXISTS clicktracker.log_hit(
    text, text, text, text, text, text, timestamptz);
DROP FUNCTION IF EXISTS clicktracker.log_visit_hit(
    text, text, text, text, text, text, text, text, timestamptz, text, boolean,
    double precision, double precision);
