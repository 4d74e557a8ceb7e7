"""The one place where text is put into SQL: where DuckDB takes no bound parameter
(identifiers, CREATE VIEW over a path, COMMENT ON), these functions quote it."""

from __future__ import annotations


def identifier(name: str) -> str:
    """Double-quote an identifier, doubling any double quote inside it."""
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Single-quote a string, doubling any single quote inside it."""
    if "\x00" in text:
        raise ValueError("an SQL string cannot contain a NUL character")
    return "'" + text.replace("'", "''") + "'"
