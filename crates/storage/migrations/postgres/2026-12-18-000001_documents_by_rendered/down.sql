-- Only a database without such documents can go back: refuse rather than leave unreadable ones.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM packages WHERE substring(document FROM 1 FOR 1) = '\x03'::bytea) THEN
        RAISE EXCEPTION 'documents stored against their rendered dicts: an older version cannot read them';
    END IF;
END $$;
