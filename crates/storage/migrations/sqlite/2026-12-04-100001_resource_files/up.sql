-- The file stored for a resource uploaded to this site: one row per resource that has one,
-- written in the transaction that writes the dataset. The object itself lives in the file
-- store under object_key (unique per upload).
CREATE TABLE resource_files (
    resource_id TEXT PRIMARY KEY NOT NULL,
    package_id TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    stored_at TIMESTAMP NOT NULL
);
CREATE INDEX resource_files_package_idx ON resource_files (package_id);
