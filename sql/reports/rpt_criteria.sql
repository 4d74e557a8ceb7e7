-- One row per criterion per appendix of criterion_gaps, as documents show it: the sort keys
-- every list uses and the values as text (sql/reports/_criteria.sql.j2: the one place both are
-- decided). A view, for listings of every criterion (an analyst's query, the XLSX); the marts
-- that show a few rows format only those; the running plan's rows (plan_settings.plan_id).
-- Reads: criterion_gaps, plan_settings.
{% from '_criteria.sql.j2' import display_columns -%}
with gaps as (
    select * from criterion_gaps
    where plan_id = (select plan_id from plan_settings)
),

final as (
    select
        g.*,
        {{ display_columns('g') }},
    from gaps as g
)

select * from final
