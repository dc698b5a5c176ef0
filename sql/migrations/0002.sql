-- slc.clicktracker: schema version 2 -- visits, clickstreams and reloads.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
-- The functions that use these tables (log_visit_hit, ...) are in ../db.sql.
--
-- A visit is a run of hits of one member in one browser, tied together by a
-- cookie that holds the visit id. Its hits, in order, are its clickstream.
-- Viewing the same URL again right after itself is a reload: it is counted
-- on the click it repeats instead of becoming a click of its own.

CREATE TABLE IF NOT EXISTS clicktracker.visits (
    id text COLLATE "C" PRIMARY KEY,
    member text COLLATE "C" NOT NULL,
    started timestamptz NOT NULL,
    last_hit timestamptz NOT NULL,
    hits integer NOT NULL,
    reloads integer NOT NULL DEFAULT 0,
    initial_referrer text,
    user_agent text,
    is_bot boolean NOT NULL DEFAULT false,
    last_url text COLLATE "C",
    last_hit_id bigint,  -- the click a reload is counted on; no FOREIGN KEY: see hits
    -- Set when the visit expired and a later hit started a new one: hits
    -- still carrying this id (another tab, spooled hits) join the successor.
    replaced_by text COLLATE "C"
) WITH (fillfactor = 80);
-- fillfactor: room for the updated row on the same page on every hit.

-- The visits report, newest first, for everyone or one member.
CREATE INDEX IF NOT EXISTS visits_started
    ON clicktracker.visits (started DESC, id DESC);
CREATE INDEX IF NOT EXISTS visits_member_started
    ON clicktracker.visits (member, started DESC, id DESC);
-- "Active now" and purge, which go by the last hit.
CREATE INDEX IF NOT EXISTS visits_last_hit
    ON clicktracker.visits (last_hit);

-- Adding a column with a constant default rewrites nothing (PostgreSQL 11+).
ALTER TABLE clicktracker.hits
    ADD COLUMN IF NOT EXISTS visit_id text COLLATE "C",
    ADD COLUMN IF NOT EXISTS reloads integer NOT NULL DEFAULT 0;
-- Partial: hits logged without a visit (logAccess) pay nothing for it.
CREATE INDEX IF NOT EXISTS hits_visit
    ON clicktracker.hits (visit_id, at) WHERE visit_id IS NOT NULL;
