"""Keeping chiso running: the nightly schedule (`chiso serve`), `chiso server`, warm starts."""
