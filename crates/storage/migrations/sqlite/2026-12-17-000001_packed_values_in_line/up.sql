-- PostgreSQL only (its packed values kept in the row); SQLite stores them so already.
SELECT 1;
