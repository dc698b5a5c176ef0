-- slc.clicktracker: schema version 5 -- confirmations and reminders sent.
--
-- Applied by slc.clicktracker.storage.schema.setup() inside one transaction
-- together with the version bump (no BEGIN/COMMIT here); see README.rst.
-- The queries are in storage/queries.py ("reading accountability").
--
-- Both are keyed by document row, like the access totals, so that moving or
-- renaming content (move_paths updates documents.path) carries them along.
-- Neither is touched by a hit, so they cost the write path nothing. Purging
-- old hits leaves them alone: a confirmation is the evidence itself.

-- "I have read this": once per member and document, the first time kept.
CREATE TABLE IF NOT EXISTS clicktracker.confirmations (
    document_id bigint NOT NULL,  -- no FOREIGN KEY, as in hits and access
    member text COLLATE "C" NOT NULL,
    confirmed timestamptz NOT NULL,
    PRIMARY KEY (document_id, member)
);

-- The last reminder e-mailed to a member about a document. One row each,
-- claimed with INSERT ... ON CONFLICT, so that Zope instances sharing the
-- database never remind the same member twice within the interval.
CREATE TABLE IF NOT EXISTS clicktracker.reminders (
    document_id bigint NOT NULL,
    member text COLLATE "C" NOT NULL,
    sent timestamptz NOT NULL,
    PRIMARY KEY (document_id, member)
);
