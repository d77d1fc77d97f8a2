-- A dataset's tags are kept in their primary key's order only (WITHOUT ROWID): the table no
-- longer holds each pair a second time beside its key.
CREATE TABLE package_tags_by_key (
    package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, tag_id)
) WITHOUT ROWID;
INSERT INTO package_tags_by_key (package_id, tag_id) SELECT package_id, tag_id FROM package_tags;
DROP TABLE package_tags;
ALTER TABLE package_tags_by_key RENAME TO package_tags;
CREATE INDEX package_tags_tag_idx ON package_tags (tag_id);
