-- This database's identity, made once: a search index kept on disk records which database it
-- follows, so it is never reused for another one.
CREATE TABLE database_identity (
    id TEXT PRIMARY KEY NOT NULL
);
INSERT INTO database_identity (id) VALUES (lower(hex(randomblob(16))));
