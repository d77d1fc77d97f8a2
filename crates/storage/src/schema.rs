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
diesel::allow_tables_to_appear_in_same_query!(users, api_tokens);
