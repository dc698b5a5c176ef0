-- slc.clicktracker: schema version 4 -- indexes for the paged access log.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
-- The queries that use them are in storage/logqueries.py; why these and no
-- others is in docs/storage.rst ("The paged access log").
--
-- On a database with data, building them takes a while (about 20 s for ten
-- million access rows) and blocks writes to access and hits meanwhile: hits
-- wait in the spool and are replayed afterwards.

-- The log sorted by member at any prefix (the default sort): read in member
-- order and stop after one page. member never changes once a row exists, so
-- a repeat view stays a HOT update; only a member's first view of a url pays
-- one more btree insert. On member alone, not (member, document_id): btree
-- deduplication then keeps it about a fifth of the size (67 MB for ten
-- million rows), and the page sorts each member's rows by path anyway.
CREATE INDEX IF NOT EXISTS access_member
    ON clicktracker.access (member);

-- The log sorted by document title at any prefix. Documents are written on
-- a first view and when a title or path changes, never on a repeat view.
CREATE INDEX IF NOT EXISTS documents_title
    ON clicktracker.documents (title, id);

-- Time windows at large prefixes (a day of the whole site): the raw hits
-- are appended in time order, so a BRIN index finds a window's pages while
-- costing a hit almost nothing (one summary per 128 pages). autosummarize:
-- autovacuum summarises each range once it is full, so that a window of the
-- last days does not read every page written since the last VACUUM.
CREATE INDEX IF NOT EXISTS hits_at
    ON clicktracker.hits USING brin (at) WITH (autosummarize = on);
