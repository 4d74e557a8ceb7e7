"""A whole province in one install: a folder of plans (one per department or commune) with the
settings they share (province.yaml), one inbox routed to the plans whose units each file covers,
each plan published in its own file, and the province file that analysts and the monitoring
office read across plans (plans/, settings, routing, combine, run)."""
