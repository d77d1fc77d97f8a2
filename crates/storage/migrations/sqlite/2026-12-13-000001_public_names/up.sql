-- package_list: the names of active public datasets in name order, read from the index alone
-- (queried with this very condition, written out, so that the planner can use it).
CREATE INDEX packages_public_name_idx ON packages (name) WHERE state = 'active' AND private = false;
