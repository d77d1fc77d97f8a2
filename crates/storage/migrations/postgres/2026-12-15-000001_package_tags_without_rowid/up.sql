-- SQLite keeps a dataset's tags WITHOUT ROWID from here; PostgreSQL has no such choice, its
-- table stays as it is.
SELECT 1;
