DROP TABLE resource_files;
