DROP TABLE term_translation;
DROP TABLE task_status;
DROP TABLE system_info;
