"""Hooks for measuring and testing runs, inert unless switched on: phase timing, fault points."""
