-- slc.clicktracker: schema version 2 -- visits, clickstreams and reloads.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here).
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


-- The document a hit is about: found by UID, else by path; created when new.
-- Taken unchanged out of version 1's log_hit so that both hit functions share it.
CREATE OR REPLACE FUNCTION clicktracker.find_document(
    p_path text,
    p_uid text,
    p_title text
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    doc bigint;
    old_path text;
    old_title text;
BEGIN
    IF p_uid IS NOT NULL THEN
        SELECT id, path, title INTO doc, old_path, old_title
          FROM clicktracker.documents WHERE uid = p_uid;
        IF FOUND THEN
            -- Only write when something changed: most views change nothing.
            IF old_path <> p_path
               OR (p_title IS NOT NULL AND old_title IS DISTINCT FROM p_title) THEN
                UPDATE clicktracker.documents
                   SET path = p_path, title = coalesce(p_title, title)
                 WHERE id = doc;
            END IF;
        ELSE
            -- First view that brings the UID of a document known by path.
            BEGIN
                UPDATE clicktracker.documents
                   SET uid = p_uid, path_key = NULL,
                       title = coalesce(p_title, title)
                 WHERE path_key = p_path
                RETURNING id INTO doc;
            EXCEPTION WHEN unique_violation THEN
                -- A concurrent view inserted the UID meanwhile.
                doc := NULL;
            END;
            IF doc IS NULL THEN
                INSERT INTO clicktracker.documents AS d (uid, path, title)
                VALUES (p_uid, p_path, p_title)
                ON CONFLICT (uid) DO UPDATE
                    SET path = EXCLUDED.path,
                        title = coalesce(EXCLUDED.title, d.title)
                RETURNING id INTO doc;
            END IF;
        END IF;
    ELSE
        SELECT id, title INTO doc, old_title
          FROM clicktracker.documents WHERE path_key = p_path;
        IF NOT FOUND THEN
            SELECT id, title INTO doc, old_title
              FROM clicktracker.documents
             WHERE path = p_path AND uid IS NOT NULL
             ORDER BY id DESC LIMIT 1;
        END IF;
        IF doc IS NULL THEN
            INSERT INTO clicktracker.documents AS d (path, path_key, title)
            VALUES (p_path, p_path, p_title)
            ON CONFLICT (path_key) DO UPDATE
                SET title = coalesce(EXCLUDED.title, d.title)
            RETURNING id INTO doc;
        ELSIF p_title IS NOT NULL AND old_title IS DISTINCT FROM p_title THEN
            UPDATE clicktracker.documents SET title = p_title WHERE id = doc;
        END IF;
    END IF;
    RETURN doc;
END
$fn$;

-- One more view in the running totals (reloads included).
CREATE OR REPLACE FUNCTION clicktracker.count_view(
    p_doc bigint,
    p_member text,
    p_url text,
    p_at timestamptz
) RETURNS void
-- plpgsql rather than sql: it keeps its plan for the session instead of
-- planning the upsert again on every call.
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO clicktracker.access AS a
        (document_id, member, url, count, firstaccess, lastaccess)
    VALUES (p_doc, p_member, p_url, 1, p_at, p_at)
    ON CONFLICT (document_id, member, md5(url)) DO UPDATE
        SET count = a.count + 1,
            firstaccess = least(a.firstaccess, EXCLUDED.firstaccess),
            lastaccess = greatest(a.lastaccess, EXCLUDED.lastaccess);
END
$fn$;

-- Same signature and behaviour as in version 1, now built on the shared parts.
CREATE OR REPLACE FUNCTION clicktracker.log_hit(
    p_member text,
    p_path text,
    p_url text,
    p_uid text,
    p_referrer text,
    p_title text,
    p_at timestamptz
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    doc bigint;
BEGIN
    doc := clicktracker.find_document(p_path, p_uid, p_title);
    INSERT INTO clicktracker.hits (at, member, document_id, url, referrer)
    VALUES (p_at, p_member, doc, p_url, p_referrer);
    PERFORM clicktracker.count_view(doc, p_member, p_url, p_at);
    RETURN doc;
END
$fn$;

-- One hit inside a visit, in one round trip (autocommit: one transaction).
--
-- p_visit_id is the id from the visitor's cookie (or NULL); p_new_id is the
-- id to give a visit this hit starts (made by the caller, so that a hit
-- spooled while the database was away gets the id its cookie already has).
-- The visit row is locked first, so two tabs of one visit (or two Zope
-- instances) take turns and neither a count nor a reload is lost.
CREATE OR REPLACE FUNCTION clicktracker.log_visit_hit(
    p_visit_id text,
    p_new_id text,
    p_member text,
    p_path text,
    p_url text,
    p_uid text,
    p_referrer text,
    p_title text,
    p_at timestamptz,
    p_user_agent text,
    p_is_bot boolean,
    p_idle double precision,
    p_max_age double precision,
    OUT visit_id text,
    OUT started boolean,
    OUT ended text,
    OUT reload boolean
)
LANGUAGE plpgsql AS $fn$
DECLARE
    v clicktracker.visits%ROWTYPE;
    hops integer := 0;
    doc bigint;
    hit bigint;
BEGIN
    started := false;
    reload := false;
    IF p_visit_id IS NOT NULL THEN
        SELECT * INTO v FROM clicktracker.visits WHERE id = p_visit_id FOR UPDATE;
        -- A stale id (another tab, hits replayed from a spool) continues in
        -- the visit that replaced it. Locks follow the chain forwards only,
        -- so two hits never wait for each other in a circle.
        WHILE v.replaced_by IS NOT NULL AND hops < 10 LOOP
            SELECT * INTO v FROM clicktracker.visits
             WHERE id = v.replaced_by FOR UPDATE;
            hops := hops + 1;
        END LOOP;
        IF v.id IS NULL OR v.member <> p_member THEN
            -- Unknown, purged, forged or someone else's: start afresh.
            v := NULL;
        ELSIF p_at - v.last_hit > make_interval(secs => p_idle)
              OR p_at - v.started > make_interval(secs => p_max_age) THEN
            ended := v.id;
            v := NULL;
        END IF;
    END IF;

    IF v.id IS NOT NULL THEN
        visit_id := v.id;
        IF v.last_url = p_url AND v.last_hit_id IS NOT NULL THEN
            UPDATE clicktracker.hits SET reloads = reloads + 1
             WHERE id = v.last_hit_id
            RETURNING document_id INTO doc;
            -- Not found: that click has been purged; count a new one instead.
            IF FOUND THEN
                reload := true;
                UPDATE clicktracker.visits
                   SET reloads = reloads + 1,
                       last_hit = greatest(last_hit, p_at)
                 WHERE id = v.id;
                IF NOT p_is_bot THEN
                    PERFORM clicktracker.count_view(doc, p_member, p_url, p_at);
                END IF;
                RETURN;
            END IF;
        END IF;
        doc := clicktracker.find_document(p_path, p_uid, p_title);
        INSERT INTO clicktracker.hits
            (at, member, document_id, url, referrer, visit_id)
        VALUES (p_at, p_member, doc, p_url, p_referrer, v.id)
        RETURNING id INTO hit;
        UPDATE clicktracker.visits
           SET hits = hits + 1,
               last_hit = greatest(last_hit, p_at),
               last_url = p_url,
               last_hit_id = hit
         WHERE id = v.id;
    ELSE
        visit_id := p_new_id;
        doc := clicktracker.find_document(p_path, p_uid, p_title);
        INSERT INTO clicktracker.hits
            (at, member, document_id, url, referrer, visit_id)
        VALUES (p_at, p_member, doc, p_url, p_referrer, p_new_id)
        RETURNING id INTO hit;
        -- The id exists already only when the same spooled hit is replayed
        -- a second time (a crash between commit and spool cleanup): it is
        -- then counted as one more click of that visit.
        INSERT INTO clicktracker.visits AS t
            (id, member, started, last_hit, hits, reloads, initial_referrer,
             user_agent, is_bot, last_url, last_hit_id)
        VALUES (p_new_id, p_member, p_at, p_at, 1, 0, p_referrer,
                p_user_agent, p_is_bot, p_url, hit)
        ON CONFLICT (id) DO UPDATE
            SET hits = t.hits + 1,
                last_hit = greatest(t.last_hit, EXCLUDED.last_hit),
                last_url = EXCLUDED.last_url,
                last_hit_id = EXCLUDED.last_hit_id
        RETURNING t.hits = 1 INTO started;
        IF ended IS NOT NULL THEN
            UPDATE clicktracker.visits SET replaced_by = p_new_id WHERE id = ended;
        END IF;
    END IF;
    -- A bot's visit is kept for the clickstream but is no read.
    IF NOT p_is_bot THEN
        PERFORM clicktracker.count_view(doc, p_member, p_url, p_at);
    END IF;
END
$fn$;
