-- CKAN's site-administration tables. system_info holds the site options a sysadmin changed
-- while the server ran (config_option_update), over the values the server was started with.
-- task_status is a free-form record of extensions' tasks (one per entity, task type and key);
-- term_translation holds translations of terms (tags, titles) into other languages.
CREATE TABLE system_info (
    id SERIAL PRIMARY KEY,
    key VARCHAR(100) NOT NULL UNIQUE,
    value TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active'
);
CREATE TABLE task_status (
    id TEXT PRIMARY KEY NOT NULL,
    entity_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    task_type TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    state TEXT,
    error TEXT,
    last_updated TIMESTAMP,
    UNIQUE (entity_id, task_type, key)
);
CREATE TABLE term_translation (
    term TEXT NOT NULL,
    term_translation TEXT NOT NULL,
    lang_code TEXT NOT NULL,
    PRIMARY KEY (term, lang_code)
);
