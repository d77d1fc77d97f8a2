DROP TABLE harvest_log;
DROP TABLE harvest_datasets;
DROP TABLE harvest_object_errors;
DROP TABLE harvest_objects;
DROP TABLE harvest_gather_errors;
DROP TABLE harvest_jobs;
DROP TABLE harvest_sources;
