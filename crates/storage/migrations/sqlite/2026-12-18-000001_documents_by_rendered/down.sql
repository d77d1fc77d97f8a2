-- Documents written with this tag stay as they are (SQLite cannot unpack them here): an older
-- version reports them as values it cannot read.
SELECT 1;
