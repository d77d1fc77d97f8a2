-- A dataset's document may be stored with a tag of its own (crates/storage/src/pack.rs,
-- DOCUMENT_BY_RENDERED): a zstd frame made against the dataset's rendered dict. Versions
-- before this one cannot read it, so this migration is what makes them refuse the database.
-- The column (bytea) holds it as it is; nothing to change.
SELECT 1;
