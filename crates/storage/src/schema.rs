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
        document -> Binary,
        rendered -> Binary,
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
        data -> Binary,
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

diesel::table! {
    harvest_sources (id) {
        id -> Text,
        name -> Text,
        title -> Text,
        notes -> Text,
        url -> Text,
        source_type -> Text,
        frequency -> Text,
        config -> Text,
        owner_org -> Nullable<Text>,
        private -> Bool,
        state -> Text,
        creator_user_id -> Nullable<Text>,
        extras -> Text,
        created -> Timestamp,
        modified -> Timestamp,
        next_run -> Nullable<Timestamp>,
    }
}

diesel::table! {
    harvest_jobs (id) {
        id -> Text,
        source_id -> Text,
        status -> Text,
        created -> Timestamp,
        gather_started -> Nullable<Timestamp>,
        gather_finished -> Nullable<Timestamp>,
        finished -> Nullable<Timestamp>,
        runner -> Nullable<Text>,
        heartbeat -> Nullable<Timestamp>,
        added -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        deleted -> BigInt,
        errored -> BigInt,
    }
}

diesel::table! {
    harvest_gather_errors (id) {
        id -> Text,
        job_id -> Text,
        message -> Text,
        created -> Timestamp,
    }
}

diesel::table! {
    harvest_objects (id) {
        id -> Text,
        job_id -> Text,
        source_id -> Text,
        guid -> Text,
        package_id -> Nullable<Text>,
        current -> Bool,
        state -> Text,
        report_status -> Text,
        content -> Nullable<Text>,
        metadata_modified_date -> Nullable<Timestamp>,
        gathered -> Timestamp,
        import_finished -> Nullable<Timestamp>,
    }
}

diesel::table! {
    harvest_object_errors (id) {
        id -> Text,
        object_id -> Text,
        message -> Text,
        stage -> Text,
        created -> Timestamp,
    }
}

diesel::table! {
    harvest_datasets (source_id, remote_id) {
        source_id -> Text,
        remote_id -> Text,
        package_id -> Text,
        remote_modified -> Nullable<Text>,
        content_hash -> Text,
    }
}

diesel::table! {
    harvest_log (id) {
        id -> Text,
        content -> Text,
        level -> Text,
        created -> Timestamp,
    }
}

diesel::joinable!(harvest_jobs -> harvest_sources (source_id));
diesel::joinable!(harvest_gather_errors -> harvest_jobs (job_id));
diesel::joinable!(harvest_objects -> harvest_jobs (job_id));
diesel::joinable!(harvest_object_errors -> harvest_objects (object_id));
diesel::joinable!(harvest_datasets -> harvest_sources (source_id));
diesel::allow_tables_to_appear_in_same_query!(
    harvest_sources,
    harvest_jobs,
    harvest_gather_errors,
    harvest_objects,
    harvest_object_errors,
    harvest_datasets,
);
diesel::allow_tables_to_appear_in_same_query!(harvest_datasets, packages);

diesel::table! {
    system_info (id) {
        id -> Integer,
        key -> Text,
        value -> Text,
        state -> Text,
    }
}

diesel::table! {
    task_status (id) {
        id -> Text,
        entity_id -> Text,
        entity_type -> Text,
        task_type -> Text,
        key -> Text,
        value -> Text,
        state -> Nullable<Text>,
        error -> Nullable<Text>,
        last_updated -> Nullable<Timestamp>,
    }
}

diesel::table! {
    term_translation (term, lang_code) {
        term -> Text,
        #[sql_name = "term_translation"]
        translation -> Text,
        lang_code -> Text,
    }
}

diesel::table! {
    user_following_user (follower_id, object_id) {
        follower_id -> Text,
        object_id -> Text,
        datetime -> Timestamp,
    }
}

diesel::table! {
    user_following_dataset (follower_id, object_id) {
        follower_id -> Text,
        object_id -> Text,
        datetime -> Timestamp,
    }
}

diesel::table! {
    user_following_group (follower_id, object_id) {
        follower_id -> Text,
        object_id -> Text,
        datetime -> Timestamp,
    }
}

diesel::table! {
    dashboard (user_id) {
        user_id -> Text,
        activity_stream_last_viewed -> Timestamp,
        email_last_sent -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(user_following_user, users);
diesel::allow_tables_to_appear_in_same_query!(user_following_dataset, users);
diesel::allow_tables_to_appear_in_same_query!(user_following_dataset, packages);
diesel::allow_tables_to_appear_in_same_query!(user_following_group, users);
diesel::allow_tables_to_appear_in_same_query!(user_following_group, groups);
