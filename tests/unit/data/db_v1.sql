-- Test fixture: sql/db.sql as released for schema version 1 (git d2e8662), kept verbatim to test upgrades.
-- slc.clicktracker: PostgreSQL schema, version 1.
--
-- Load into an existing database with
--     psql -v ON_ERROR_STOP=1 -f sql/db.sql DBNAME
-- or let the add-on do it (control panel / setup_database()). Loading it again
-- is harmless. Later changes never edit this file: they come as numbered
-- scripts in sql/upgrades/, applied by slc.clicktracker.storage.schema.setup().
--
-- Everything lives in the schema "clicktracker". Text that is compared,
-- sorted or indexed uses COLLATE "C" so that path-prefix range scans can use
-- a plain btree index whatever the database's own collation is.

BEGIN;

-- Two Zope instances starting at once must not create objects concurrently.
-- The key is shared with schema.py (LOCK_KEY).
SELECT pg_advisory_xact_lock(5183390712);

CREATE SCHEMA IF NOT EXISTS clicktracker;

CREATE TABLE IF NOT EXISTS clicktracker.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);
INSERT INTO clicktracker.schema_version (version) VALUES (1)
ON CONFLICT DO NOTHING;

-- Only a version-1 database gets the version-1 objects (re)created: once an
-- upgrade has changed a table or function, reloading this file must not
-- bring the old definition back.
DO $install$
BEGIN
    IF (SELECT version FROM clicktracker.schema_version) > 1 THEN
        RETURN;
    END IF;

    -- One row per content object. Keyed by its Plone UID when we know it,
    -- otherwise by its path (path_key = path, uid IS NULL); path always holds
    -- the current location so that reports by folder work.
    CREATE TABLE IF NOT EXISTS clicktracker.documents (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        uid text COLLATE "C" UNIQUE,
        path text COLLATE "C" NOT NULL,
        path_key text COLLATE "C" UNIQUE,
        title text,
        CHECK (path_key IS NULL OR (uid IS NULL AND path_key = path))
    );
    CREATE INDEX IF NOT EXISTS documents_path
        ON clicktracker.documents (path);

    -- Every single view, for time windows and clickstreams.
    -- document_id has no FOREIGN KEY on purpose: the check would lock the
    -- (hot) document row on every hit and costs ~15% of write throughput;
    -- documents are never deleted by the add-on.
    CREATE TABLE IF NOT EXISTS clicktracker.hits (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        member text COLLATE "C" NOT NULL,
        document_id bigint NOT NULL,
        url text COLLATE "C" NOT NULL,
        referrer text
    );
    -- The only index besides the key: every index costs each hit a random
    -- btree insert. Per-member queries use the access totals.
    CREATE INDEX IF NOT EXISTS hits_document_at
        ON clicktracker.hits (document_id, at);

    -- Running totals per document, member and url: what getLog() reads.
    CREATE TABLE IF NOT EXISTS clicktracker.access (
        document_id bigint NOT NULL,  -- no FOREIGN KEY: see hits
        member text COLLATE "C" NOT NULL,
        url text COLLATE "C" NOT NULL,
        count bigint NOT NULL,
        firstaccess timestamptz NOT NULL,
        lastaccess timestamptz NOT NULL
    ) WITH (fillfactor = 80);
    -- fillfactor: free room on each page lets a repeat view update count and
    -- lastaccess in place (HOT: no index is touched, less WAL).
    -- md5(url): a url may be longer than a btree entry can hold.
    CREATE UNIQUE INDEX IF NOT EXISTS access_key
        ON clicktracker.access (document_id, member, md5(url));

    -- Records one view in one round trip. Every "first hit" is an
    -- INSERT ... ON CONFLICT, so simultaneous first views of the same
    -- document by the same member neither fail nor lose a count.
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

        INSERT INTO clicktracker.hits (at, member, document_id, url, referrer)
        VALUES (p_at, p_member, doc, p_url, p_referrer);

        INSERT INTO clicktracker.access AS a
            (document_id, member, url, count, firstaccess, lastaccess)
        VALUES (doc, p_member, p_url, 1, p_at, p_at)
        ON CONFLICT (document_id, member, md5(url)) DO UPDATE
            SET count = a.count + 1,
                firstaccess = least(a.firstaccess, EXCLUDED.firstaccess),
                lastaccess = greatest(a.lastaccess, EXCLUDED.lastaccess);
        RETURN doc;
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
END
$install$;

COMMIT;
