-- A dataset's document and rendered dict and each activity's payload are stored packed
-- (crates/storage/src/pack.rs): JSON text as it was, or a tag byte and a zstd frame. SQLite
-- keeps either kind in the columns as they are declared; nothing to change.
SELECT 1;
