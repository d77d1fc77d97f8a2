DROP TABLE dashboard;
DROP TABLE user_following_group;
DROP TABLE user_following_dataset;
DROP TABLE user_following_user;
