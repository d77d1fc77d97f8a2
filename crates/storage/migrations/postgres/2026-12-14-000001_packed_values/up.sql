-- A dataset's document and rendered dict and each activity's payload are stored packed
-- (crates/storage/src/pack.rs): JSON text as it was, or a tag byte and a zstd frame.
ALTER TABLE packages
    ALTER COLUMN document TYPE bytea USING convert_to(document, 'UTF8'),
    ALTER COLUMN rendered TYPE bytea USING convert_to(rendered, 'UTF8');
ALTER TABLE activities ALTER COLUMN data TYPE bytea USING convert_to(data, 'UTF8');
