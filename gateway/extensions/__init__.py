"""Flask extensions: the database, Redis and the dashboard's cookie sessions."""
