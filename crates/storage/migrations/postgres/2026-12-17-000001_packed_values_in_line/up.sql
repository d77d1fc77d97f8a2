-- A dataset's document and rendered dict and an activity's payload are stored packed
-- (crates/storage/src/pack.rs): PostgreSQL's own compression finds nothing more in them, and
-- moving them to the TOAST table costs a second row and index entry for each. They stay in the
-- row, as they are, unless the row outgrows a page. Rows written before keep their form.
ALTER TABLE packages ALTER COLUMN document SET STORAGE EXTERNAL, ALTER COLUMN rendered SET STORAGE EXTERNAL;
ALTER TABLE packages SET (toast_tuple_target = 8160);
ALTER TABLE activities ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE activities SET (toast_tuple_target = 8160);
