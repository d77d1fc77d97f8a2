//! Checking `datastore_search_sql` statements: one SELECT over DataStore tables only.
