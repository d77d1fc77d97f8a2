-- A dataset activity's payload may be stored with a tag of its own (crates/storage/src/pack.rs,
-- PACKAGE_ACTIVITY): the actor and the stored value of the dataset's rendered dict. Versions
-- before this one cannot read it, so this migration is what makes them refuse the database.
-- The column (bytea) holds it as it is; nothing to change.
SELECT 1;
