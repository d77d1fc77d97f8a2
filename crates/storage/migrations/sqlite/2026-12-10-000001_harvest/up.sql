-- Harvesting, as ckanext-harvest models it. A source is a remote catalogue; a job is one
-- visit of it; an object is one remote dataset a job added, updated, deleted or failed on
-- (datasets found unchanged are only counted in the job); errors belong to an object or,
-- outside any dataset, to the job. Old jobs are removed (with their objects and errors) beyond
-- the configured number per source; harvest_datasets, the lasting map from a remote dataset
-- to the local one made from it, stays until the source is cleared or deleted.
CREATE TABLE harvest_sources (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    notes TEXT NOT NULL,
    url TEXT NOT NULL,
    source_type TEXT NOT NULL,
    frequency TEXT NOT NULL,
    config TEXT NOT NULL,
    owner_org TEXT,
    private BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    creator_user_id TEXT,
    extras TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    modified TIMESTAMP NOT NULL,
    next_run TIMESTAMP
);
CREATE TABLE harvest_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    source_id TEXT NOT NULL REFERENCES harvest_sources (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    gather_started TIMESTAMP,
    gather_finished TIMESTAMP,
    finished TIMESTAMP,
    runner TEXT,
    heartbeat TIMESTAMP,
    added BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    errored BIGINT NOT NULL
);
CREATE INDEX harvest_jobs_source_idx ON harvest_jobs (source_id, created);
CREATE TABLE harvest_gather_errors (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES harvest_jobs (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    created TIMESTAMP NOT NULL
);
CREATE INDEX harvest_gather_errors_job_idx ON harvest_gather_errors (job_id);
CREATE TABLE harvest_objects (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES harvest_jobs (id) ON DELETE CASCADE,
    source_id TEXT NOT NULL,
    guid TEXT NOT NULL,
    package_id TEXT,
    current BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    report_status TEXT NOT NULL,
    content TEXT,
    metadata_modified_date TIMESTAMP,
    gathered TIMESTAMP NOT NULL,
    import_finished TIMESTAMP
);
CREATE INDEX harvest_objects_job_idx ON harvest_objects (job_id);
CREATE INDEX harvest_objects_package_idx ON harvest_objects (package_id);
CREATE TABLE harvest_object_errors (
    id TEXT PRIMARY KEY NOT NULL,
    object_id TEXT NOT NULL REFERENCES harvest_objects (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    stage TEXT NOT NULL,
    created TIMESTAMP NOT NULL
);
CREATE INDEX harvest_object_errors_object_idx ON harvest_object_errors (object_id);
CREATE TABLE harvest_datasets (
    source_id TEXT NOT NULL REFERENCES harvest_sources (id) ON DELETE CASCADE,
    remote_id TEXT NOT NULL,
    package_id TEXT NOT NULL UNIQUE,
    remote_modified TEXT,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (source_id, remote_id)
);
CREATE TABLE harvest_log (
    id TEXT PRIMARY KEY NOT NULL,
    content TEXT NOT NULL,
    level TEXT NOT NULL,
    created TIMESTAMP NOT NULL
);
CREATE INDEX harvest_log_created_idx ON harvest_log (created);
