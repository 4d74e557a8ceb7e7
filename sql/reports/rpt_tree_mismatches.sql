-- One row per PAR criterion whose own score differs from the sum of its sub-criteria's, in the
-- baseline or the target year: listed by the summary, the digest and the report (the target is
-- judged on the stated score). Reads: criterion_gaps.
{% from '_criteria.sql.j2' import display_columns -%}
with criteria as (
    select g.*, {{ display_columns('g') }},
    from criterion_gaps as g
    where g.children_sum_differs
),

final as (
    select
        index_name, appendix, unit_code, criterion_code, criterion_name, owner_unit, owner_name,
        baseline_year, baseline_value, baseline_children_value, baseline_text,
        baseline_children_text,
        current_year, current_value, children_value, current_text, children_text,
        current_stage,
        baseline_value is distinct from baseline_children_value
            and baseline_children_value is not null as baseline_differs,
        current_value is distinct from children_value and children_value is not null
            as current_differs,
    from criteria
    order by unit_code, code_order, criterion_code, appendix
)

select * from final
