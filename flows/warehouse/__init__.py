"""The warehouse: the DuckDB database a run builds, the SQL models run into it, what each table
was built from, the run's own records, and the lock that keeps one run at a time."""
