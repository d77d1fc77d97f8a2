-- Organizations and groups (CKAN keeps both in one table).
CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    image_url TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    is_organization BOOLEAN NOT NULL,
    approval_status TEXT NOT NULL DEFAULT 'approved',
    state TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    -- [{key, value}] and free-form top-level keys, as JSON text.
    extras TEXT NOT NULL DEFAULT '[]',
    document TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX groups_org_state_idx ON groups (is_organization, state);

-- Who or what belongs to a group: users (with a capacity), datasets, child groups.
CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    table_name TEXT NOT NULL,
    table_id TEXT NOT NULL,
    capacity TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE UNIQUE INDEX members_group_object_key ON members (group_id, table_name, table_id);
CREATE INDEX members_object_idx ON members (table_name, table_id);

-- Datasets: the columns that lookups, lists and permissions need, the validated document and
-- the dict package_show returns, written together in one transaction.
CREATE TABLE packages (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    private BOOLEAN NOT NULL,
    owner_org TEXT REFERENCES groups (id),
    creator_user_id TEXT,
    metadata_created TIMESTAMP NOT NULL,
    metadata_modified TIMESTAMP NOT NULL,
    document TEXT NOT NULL,
    rendered TEXT NOT NULL
);
-- Names are unique among datasets that are not deleted.
CREATE UNIQUE INDEX packages_live_name_key ON packages (name) WHERE state <> 'deleted';
CREATE INDEX packages_name_idx ON packages (name);
CREATE INDEX packages_owner_org_idx ON packages (owner_org);
CREATE INDEX packages_modified_idx ON packages (metadata_modified);

CREATE TABLE resources (
    id TEXT PRIMARY KEY NOT NULL,
    package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resources_package_idx ON resources (package_id, position);

CREATE TABLE vocabularies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    vocabulary_id TEXT REFERENCES vocabularies (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX tags_name_vocabulary_key ON tags (name, COALESCE(vocabulary_id, ''));

CREATE TABLE package_tags (
    package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, tag_id)
);
CREATE INDEX package_tags_tag_idx ON package_tags (tag_id);

CREATE TABLE package_collaborators (
    package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    capacity TEXT NOT NULL,
    modified TIMESTAMP NOT NULL,
    PRIMARY KEY (package_id, user_id)
);

CREATE TABLE package_relationships (
    id TEXT PRIMARY KEY NOT NULL,
    subject_package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    object_package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL
);

CREATE TABLE resource_views (
    id TEXT PRIMARY KEY NOT NULL,
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX resource_views_resource_idx ON resource_views (resource_id, position);

CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    user_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    -- For dataset activities: the owner org and groups, so org/group streams find them.
    group_ids TEXT NOT NULL DEFAULT '',
    activity_type TEXT NOT NULL,
    -- Whether anonymous callers may see it (the dataset was public and active).
    public BOOLEAN NOT NULL,
    permission_labels TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL
);
CREATE INDEX activities_object_idx ON activities (object_id, timestamp);
CREATE INDEX activities_user_idx ON activities (user_id, timestamp);
CREATE INDEX activities_timestamp_idx ON activities (timestamp);
