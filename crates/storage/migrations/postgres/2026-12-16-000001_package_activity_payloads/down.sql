-- Only a database without such payloads can go back: refuse rather than leave unreadable ones.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM activities WHERE substring(data FROM 1 FOR 1) = '\x02'::bytea) THEN
        RAISE EXCEPTION 'activities stored with the dataset activity tag: an older version cannot read them';
    END IF;
END $$;
