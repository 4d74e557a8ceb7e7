"""Intake: the inbox, the readers, the extract kinds, and loading each file (or refusing it)."""
