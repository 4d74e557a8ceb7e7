"""The plan: a YAML file validated against schema.json (defaults included), and the plan_*
tables the SQL rules read."""

from flows.plan.model import (
    Plan,
    code_path,
    continued_plans,
    encodings_of,
    load_plan,
    parse_date,
    write_plan_tables,
)

__all__ = [
    "Plan", "code_path", "continued_plans", "encodings_of", "load_plan", "parse_date",
    "write_plan_tables",
]
