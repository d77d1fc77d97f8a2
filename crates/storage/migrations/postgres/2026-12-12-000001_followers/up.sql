-- Who follows whom and what, as CKAN's model names it: a user following a user, a dataset,
-- or an organization or group. One row per pair; the rows go with either end when it is
-- purged. Deleted users, datasets and groups keep their rows but are not counted or listed.
CREATE TABLE user_following_user (
    follower_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    datetime TIMESTAMP NOT NULL,
    PRIMARY KEY (follower_id, object_id)
);
CREATE INDEX user_following_user_object_idx ON user_following_user (object_id);

CREATE TABLE user_following_dataset (
    follower_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    datetime TIMESTAMP NOT NULL,
    PRIMARY KEY (follower_id, object_id)
);
CREATE INDEX user_following_dataset_object_idx ON user_following_dataset (object_id);

CREATE TABLE user_following_group (
    follower_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    datetime TIMESTAMP NOT NULL,
    PRIMARY KEY (follower_id, object_id)
);
CREATE INDEX user_following_group_object_idx ON user_following_group (object_id);

-- A user's dashboard: when they last looked at its activity stream (what is new since), and
-- when they were last sent an activity email.
CREATE TABLE dashboard (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    activity_stream_last_viewed TIMESTAMP NOT NULL,
    email_last_sent TIMESTAMP NOT NULL
);
