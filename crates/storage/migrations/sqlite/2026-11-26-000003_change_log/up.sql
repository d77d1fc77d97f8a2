-- Every change to a dataset, in commit order: the search index of each process follows it.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    package_id TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
