CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    fullname TEXT,
    about TEXT,
    image_url TEXT,
    password_hash TEXT NOT NULL,
    sysadmin BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    last_active TIMESTAMP,
    activity_streams_email_notifications BOOLEAN NOT NULL DEFAULT FALSE,
    plugin_extras TEXT
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_access TIMESTAMP
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);
