"""Telling people: the owner emails and the Office digest, delivered exactly once."""
