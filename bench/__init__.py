"""chiso's benchmark and synthetic-data generator: tools for measuring chiso, not part of the
nightly run (`flows` does not import them; `chiso bench` and `chiso gen` do, on demand)."""
