-- slc.clicktracker: schema version 1 -- documents, raw hits, access totals.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
--
-- Everything lives in the schema "clicktracker". Text that is compared,
-- sorted or indexed uses COLLATE "C" so that path-prefix range scans can use
-- a plain btree index whatever the database's own collation is.

CREATE SCHEMA IF NOT EXISTS clicktracker;

-- setup() records here the number of the last migration applied.
CREATE TABLE IF NOT EXISTS clicktracker.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);

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
