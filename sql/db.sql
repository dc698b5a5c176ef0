-- slc.clicktracker: the stored functions, as they are now.
--
-- Every function is defined here, once, with CREATE OR REPLACE. This file is
-- not a migration: slc.clicktracker.storage.schema.setup() loads it after the
-- numbered migrations in migrations/ on every setup, in one transaction under
-- the setup lock, so changing a function means editing it here. Tables,
-- indexes and data changes belong in a new migration instead; see
-- migrations/README.rst (also for signature changes, which need a DROP).

-- The document a hit is about: found by UID, else by path; created when new.
-- Shared by log_hit and log_visit_hit. A document seen for the first time is
-- an INSERT ... ON CONFLICT, so simultaneous first views of it neither fail
-- nor create it twice.
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

-- One more view in the running totals (reloads included). The first view
-- is an INSERT ... ON CONFLICT too, so simultaneous first views of a
-- document by one member neither fail nor lose a count.
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

-- True the first time a hit id arrives, false when it was received before
-- (a spooled copy of a hit that did get stored, a replayed token). Hits
-- without an id (spooled before ids existed) are always new.
--
-- Every thousandth new id also prunes up to a thousand ids older than 30
-- days, oldest first: the table stays the size of a month of hits without
-- any job to run, at about the cost of one more index entry per hit. A
-- copy arriving after 30 days would count again; spools are replayed
-- within minutes of the database's return, tokens expire within a day.
CREATE OR REPLACE FUNCTION clicktracker.receive(p_hit_id uuid)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
    oldest uuid;
BEGIN
    IF p_hit_id IS NULL THEN
        RETURN true;
    END IF;
    INSERT INTO clicktracker.received (hit_id) VALUES (p_hit_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF random() < 0.001 THEN
        -- The smallest version-7 id of 30 days ago: its first 48 bits are
        -- the Unix time in milliseconds.
        oldest := (lpad(to_hex(floor(extract(epoch FROM now()
                   - interval '30 days') * 1000)::bigint), 12, '0')
                   || repeat('0', 20))::uuid;
        DELETE FROM clicktracker.received
         WHERE hit_id IN (SELECT hit_id FROM clicktracker.received
                           WHERE hit_id < oldest ORDER BY hit_id LIMIT 1000);
    END IF;
    RETURN true;
END
$fn$;

-- Records one view outside any visit in one round trip (autocommit: one
-- transaction). Returns the document's id, or NULL when the hit id was
-- received before (then nothing changes).
CREATE OR REPLACE FUNCTION clicktracker.log_hit(
    p_member text,
    p_path text,
    p_url text,
    p_uid text,
    p_referrer text,
    p_title text,
    p_at timestamptz,
    p_hit_id uuid DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    doc bigint;
BEGIN
    IF NOT clicktracker.receive(p_hit_id) THEN
        RETURN NULL;
    END IF;
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
-- instances) take turns and neither a count nor a reload is lost. A hit id
-- received before changes nothing (duplicate is true).
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
    p_hit_id uuid DEFAULT NULL,
    OUT visit_id text,
    OUT started boolean,
    OUT ended text,
    OUT reload boolean,
    OUT duplicate boolean
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
    duplicate := NOT clicktracker.receive(p_hit_id);
    IF duplicate THEN
        -- Stored before: the visit it went to is the cookie's, or the one
        -- it started then (the same new id, made when the hit was born).
        visit_id := coalesce(p_visit_id, p_new_id);
        RETURN;
    END IF;
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
        doc := clicktracker.find_document(p_path, p_uid, p_title);
        IF v.last_url = p_url AND v.last_hit_id IS NOT NULL THEN
            -- A reload repeats the same page of the same document.
            UPDATE clicktracker.hits SET reloads = reloads + 1
             WHERE id = v.last_hit_id AND document_id = doc;
            -- Not found: that click has been purged (or was another
            -- document); count a new one instead.
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
        -- The id exists already only when a spooled hit without a hit id
        -- (spooled before ids existed) is replayed a second time: it is then
        -- counted as one more click of that visit.
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

-- A content object (and everything below it) moved from p_old to p_new.
-- The range test instead of LIKE: no metacharacters to escape, and
-- '0' is the character right after '/' in the "C" collation.
CREATE OR REPLACE FUNCTION clicktracker.move_paths(p_old text, p_new text)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    moved integer;
BEGIN
    IF p_old = p_new THEN
        RETURN 0;
    END IF;
    -- A path-only document already sitting at a destination belonged to
    -- an object that is gone: it keeps its history but no longer claims
    -- the path for new views.
    UPDATE clicktracker.documents t
       SET path_key = NULL
      FROM clicktracker.documents s
     WHERE s.path_key IS NOT NULL
       AND (s.path = p_old
            OR (s.path >= p_old || '/' AND s.path < p_old || '0'))
       AND t.path_key = p_new || substr(s.path, length(p_old) + 1)
       AND NOT (t.path = p_old
                OR (t.path >= p_old || '/' AND t.path < p_old || '0'));
    UPDATE clicktracker.documents
       SET path = p_new || substr(path, length(p_old) + 1),
           path_key = CASE WHEN path_key IS NULL THEN NULL
                      ELSE p_new || substr(path, length(p_old) + 1) END
     WHERE path = p_old
        OR (path >= p_old || '/' AND path < p_old || '0');
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$fn$;
