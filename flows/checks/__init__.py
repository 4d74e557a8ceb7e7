"""Great Expectations on what is published: the target checks on criterion_gaps and the marts."""
