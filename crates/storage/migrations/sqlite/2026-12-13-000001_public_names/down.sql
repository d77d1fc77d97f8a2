DROP INDEX packages_public_name_idx;
