-- Only values still stored as text can go back to text columns: refuse rather than lose any.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM packages
               WHERE substring(document FROM 1 FOR 1) = '\x01'::bytea
                  OR substring(rendered FROM 1 FOR 1) = '\x01'::bytea)
       OR EXISTS (SELECT 1 FROM activities WHERE substring(data FROM 1 FOR 1) = '\x01'::bytea) THEN
        RAISE EXCEPTION 'packed dataset dicts or activities: this version cannot read them';
    END IF;
END $$;
ALTER TABLE packages
    ALTER COLUMN document TYPE text USING convert_from(document, 'UTF8'),
    ALTER COLUMN rendered TYPE text USING convert_from(rendered, 'UTF8');
ALTER TABLE activities ALTER COLUMN data TYPE text USING convert_from(data, 'UTF8');
