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
-- without an id (spooled before ids existed) are always new. p_hit is the
-- row of hits the view is counted on, for its reading updates (log_reading):
-- the caller takes the row's id from the sequence first, so that this costs
-- no second write.
--
-- Every thousandth new id also prunes up to a thousand ids older than 30
-- days, oldest first: the table stays the size of a month of hits without
-- any job to run, at about the cost of one more index entry per hit. A
-- copy arriving after 30 days would count again; spools are replayed
-- within minutes of the database's return, tokens expire within a day.
CREATE OR REPLACE FUNCTION clicktracker.receive(p_hit_id uuid, p_hit bigint)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
    oldest uuid;
BEGIN
    IF p_hit_id IS NULL THEN
        RETURN true;
    END IF;
    INSERT INTO clicktracker.received (hit_id, hit) VALUES (p_hit_id, p_hit)
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
    hit bigint := nextval('clicktracker.hits_id_seq');
BEGIN
    IF NOT clicktracker.receive(p_hit_id, hit) THEN
        RETURN NULL;
    END IF;
    doc := clicktracker.find_document(p_path, p_uid, p_title);
    INSERT INTO clicktracker.hits (id, at, member, document_id, url, referrer)
    OVERRIDING SYSTEM VALUE
    VALUES (hit, p_at, p_member, doc, p_url, p_referrer);
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
    -- The click's id is taken under the visit's lock, so that the ids of a
    -- visit's clicks are in the order they took turns (the clickstream's).
    -- A reload leaves it unused.
    hit := nextval('clicktracker.hits_id_seq');
    duplicate := NOT clicktracker.receive(p_hit_id, hit);
    IF duplicate THEN
        -- Stored before: the visit it went to is the cookie's, or the one
        -- it started then (the same new id, made when the hit was born).
        visit_id := coalesce(p_visit_id, p_new_id);
        ended := NULL;
        RETURN;
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
                -- The reload's reading goes to the click it repeats.
                IF p_hit_id IS NOT NULL THEN
                    UPDATE clicktracker.received SET hit = v.last_hit_id
                     WHERE hit_id = p_hit_id;
                END IF;
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
            (id, at, member, document_id, url, referrer, visit_id)
        OVERRIDING SYSTEM VALUE
        VALUES (hit, p_at, p_member, doc, p_url, p_referrer, v.id);
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
            (id, at, member, document_id, url, referrer, visit_id)
        OVERRIDING SYSTEM VALUE
        VALUES (hit, p_at, p_member, doc, p_url, p_referrer, p_new_id);
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

-- A reading update of one view: the script's running figures for it
-- (seconds read so far, the deepest point reached in percent, whether the
-- end came into view; the caller caps and clamps them). Figures only grow:
-- a replayed or out-of-order update adds nothing, a newer one adds what is
-- new to the click (hits) and to the member's totals (access). The view's
-- row of received is locked first, so two updates of one view take turns.
-- False when the view is unknown (no hit stored with that id, or pruned),
-- or its click is purged or another member's.
CREATE OR REPLACE FUNCTION clicktracker.log_reading(
    p_hit_id uuid,
    p_member text,
    p_seconds integer,
    p_depth smallint,
    p_end boolean
) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
    r clicktracker.received%ROWTYPE;
    added integer;
    deepest smallint;
    reached boolean;
    doc bigint;
    page text;
BEGIN
    SELECT * INTO r FROM clicktracker.received
     WHERE hit_id = p_hit_id FOR UPDATE;
    IF r.hit IS NULL THEN
        RETURN false;
    END IF;
    added := greatest(p_seconds - coalesce(r.seconds, 0), 0);
    deepest := greatest(r.depth, p_depth);
    reached := coalesce(r.reached_end, false) OR p_end;
    IF r.seconds IS NOT NULL AND added = 0 AND deepest = r.depth
       AND reached = r.reached_end THEN
        RETURN true;  -- nothing new
    END IF;
    UPDATE clicktracker.hits
       SET seconds = coalesce(seconds, 0) + added,
           depth = greatest(depth, deepest),
           reached_end = coalesce(reached_end, false) OR reached
     WHERE id = r.hit AND member = p_member
    RETURNING document_id, url INTO doc, page;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE clicktracker.received
       SET seconds = coalesce(r.seconds, 0) + added,
           depth = deepest,
           reached_end = reached
     WHERE hit_id = p_hit_id;
    -- A bot's click has no totals: nothing to find here then.
    UPDATE clicktracker.access
       SET seconds = coalesce(seconds, 0) + added,
           reached_end = coalesce(reached_end, false) OR reached
     WHERE document_id = doc AND member = p_member AND md5(url) = md5(page);
    RETURN true;
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

-- The site statistics (migration 0007): the figures of the complete days
-- before p_today in time zone p_zone. Adds the daily totals of the days of
-- the last year not counted yet, and rebuilds every document's readers,
-- views and median reading time in the last 7, 30, 90 and 365 days. Bot
-- visits' hits are no reads; '(anonymous)' views count, but it is no
-- reader. Called when the statistics are read and found older than today
-- (storage/stats.py, on a connection of its own), never by a hit. One
-- caller at a time per zone: another returns false at once (the figures
-- are on their way); true when they are prepared.
CREATE OR REPLACE FUNCTION clicktracker.prepare_stats(p_zone text, p_today date)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
    first_day date;
    last_day date;
    start_at timestamptz;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('clicktracker.prepare_stats'),
                                     hashtext(p_zone)) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM clicktracker.stats_prepared
                WHERE zone = p_zone AND as_of >= p_today) THEN
        RETURN true;
    END IF;
    SELECT min(g.day), max(g.day) INTO first_day, last_day
      FROM generate_series(p_today - 365, p_today - 1, interval '1 day') AS g(day)
     WHERE NOT EXISTS (SELECT 1 FROM clicktracker.stats_days s
                        WHERE s.zone = p_zone AND s.day = g.day::date);
    IF first_day IS NOT NULL THEN
        INSERT INTO clicktracker.stats_days (zone, day, views, readers)
        SELECT p_zone, g.day::date, coalesce(x.views, 0), coalesce(x.readers, 0)
          FROM generate_series(first_day, last_day, interval '1 day') AS g(day)
          LEFT JOIN (
            SELECT (h.at AT TIME ZONE p_zone)::date AS day,
                   sum(1 + h.reloads) AS views,
                   count(DISTINCT h.member)
                       FILTER (WHERE h.member <> '(anonymous)') AS readers
              FROM clicktracker.hits h
             WHERE h.at >= first_day::timestamp AT TIME ZONE p_zone
               AND h.at < (last_day + 1)::timestamp AT TIME ZONE p_zone
               AND NOT EXISTS (SELECT 1 FROM clicktracker.visits v
                                WHERE v.id = h.visit_id AND v.is_bot)
             GROUP BY 1
          ) x ON x.day = g.day::date
        ON CONFLICT DO NOTHING;
    END IF;
    start_at := (p_today - 365)::timestamp AT TIME ZONE p_zone;
    DELETE FROM clicktracker.stats_documents WHERE zone = p_zone;
    INSERT INTO clicktracker.stats_documents
        (zone, as_of, days, document_id, readers, views, median_seconds)
    SELECT p_zone, p_today, w.days, r.document_id,
           count(DISTINCT r.member) FILTER (WHERE r.member <> '(anonymous)'),
           sum(r.views),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY r.seconds)
      FROM (
        SELECT h.document_id, h.member, 1 + h.reloads AS views, h.seconds,
               p_today - (h.at AT TIME ZONE p_zone)::date AS age
          FROM clicktracker.hits h
         WHERE h.at >= start_at
           AND h.at < p_today::timestamp AT TIME ZONE p_zone
           AND NOT EXISTS (SELECT 1 FROM clicktracker.visits v
                            WHERE v.id = h.visit_id AND v.is_bot)
      ) r
      JOIN (VALUES (7), (30), (90), (365)) AS w(days) ON r.age <= w.days
     GROUP BY w.days, r.document_id;
    INSERT INTO clicktracker.stats_prepared AS p (zone, as_of, prepared)
    VALUES (p_zone, p_today, now())
    ON CONFLICT (zone) DO UPDATE SET as_of = EXCLUDED.as_of,
                                     prepared = EXCLUDED.prepared;
    -- Rewritten whole: the planner learns its new figures now, not when
    -- autovacuum comes round (a stale estimate picks slow plans).
    ANALYZE clicktracker.stats_documents;
    RETURN true;
END
$fn$;
