"""What people read and query: the run summary, the report, the appendices, `chiso sql`, `chiso
runs`, all from the published database."""
