// The tables of migrations/sqlite (and their PostgreSQL twins), as diesel sees them.

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        fullname -> Nullable<Text>,
        about -> Nullable<Text>,
        image_url -> Nullable<Text>,
        password_hash -> Text,
        sysadmin -> Bool,
        state -> Text,
        created -> Timestamp,
        last_active -> Nullable<Timestamp>,
        activity_streams_email_notifications -> Bool,
        plugin_extras -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        created_at -> Timestamp,
        last_access -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    groups (id) {
        id -> Text,
        name -> Text,
        title -> Text,
        description -> Text,
        image_url -> Text,
        #[sql_name = "type"]
        group_type -> Text,
        is_organization -> Bool,
        approval_status -> Text,
        state -> Text,
        created -> Timestamp,
        extras -> Text,
        document -> Text,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        group_id -> Text,
        table_name -> Text,
        table_id -> Text,
        capacity -> Text,
        state -> Text,
    }
}

diesel::table! {
    packages (id) {
        id -> Text,
        name -> Text,
        title -> Text,
        #[sql_name = "type"]
        package_type -> Text,
        state -> Text,
        private -> Bool,
        owner_org -> Nullable<Text>,
        creator_user_id -> Nullable<Text>,
        metadata_created -> Timestamp,
        metadata_modified -> Timestamp,
        document -> Text,
        rendered -> Text,
    }
}

diesel::table! {
    resources (id) {
        id -> Text,
        package_id -> Text,
        position -> Integer,
        state -> Text,
        url -> Text,
        format -> Text,
        name -> Text,
        description -> Text,
        hash -> Text,
    }
}

diesel::table! {
    vocabularies (id) {
        id -> Text,
        name -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> Text,
        name -> Text,
        vocabulary_id -> Nullable<Text>,
    }
}

diesel::table! {
    package_tags (package_id, tag_id) {
        package_id -> Text,
        tag_id -> Text,
    }
}

diesel::table! {
    package_collaborators (package_id, user_id) {
        package_id -> Text,
        user_id -> Text,
        capacity -> Text,
        modified -> Timestamp,
    }
}

diesel::table! {
    package_relationships (id) {
        id -> Text,
        subject_package_id -> Text,
        object_package_id -> Text,
        #[sql_name = "type"]
        relationship_type -> Text,
        comment -> Text,
        state -> Text,
    }
}

diesel::table! {
    resource_views (id) {
        id -> Text,
        resource_id -> Text,
        position -> Integer,
        document -> Text,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        timestamp -> Timestamp,
        user_id -> Text,
        object_id -> Text,
        group_ids -> Text,
        activity_type -> Text,
        public -> Bool,
        permission_labels -> Text,
        data -> Text,
    }
}

diesel::joinable!(members -> groups (group_id));
diesel::joinable!(resources -> packages (package_id));
diesel::joinable!(package_tags -> packages (package_id));
diesel::joinable!(package_tags -> tags (tag_id));
diesel::joinable!(tags -> vocabularies (vocabulary_id));
diesel::joinable!(resource_views -> resources (resource_id));
diesel::joinable!(package_collaborators -> packages (package_id));
diesel::joinable!(package_collaborators -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    groups,
    members,
    packages,
    resources,
    vocabularies,
    tags,
    package_tags,
    package_collaborators,
    package_relationships,
    resource_views,
    activities,
);

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        package_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    database_identity (id) {
        id -> Text,
    }
}

diesel::table! {
    resource_files (resource_id) {
        resource_id -> Text,
        package_id -> Text,
        object_key -> Text,
        size -> BigInt,
        sha256 -> Text,
        content_type -> Text,
        file_name -> Text,
        stored_at -> Timestamp,
    }
}
