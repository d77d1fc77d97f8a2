-- A dataset activity's payload may be stored with a tag of its own (crates/storage/src/pack.rs,
-- PACKAGE_ACTIVITY): the actor and the stored value of the dataset's rendered dict. Versions
-- before this one cannot read it, so this migration is what makes them refuse the database.
-- SQLite keeps the value in the column as it is declared; nothing to change.
SELECT 1;
