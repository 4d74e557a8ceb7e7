"""chiso: tracks PAR INDEX, SIPAS and PAPI targets with Prefect, DuckDB and Great Expectations."""

import os

# Nothing in this project may try the internet: switch off analytics before Prefect or
# Great Expectations are imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")
