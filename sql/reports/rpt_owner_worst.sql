-- For each owner unit, its missed and at-risk criteria furthest from target, in the same worst
-- first order as rpt_worst (at most the plan's documents.owner_rows each): the report's table
-- per owner. The ranking runs over the keys alone; the kept rows are then read whole.
-- Reads: criterion_gaps, plan_settings.
{% from '_criteria.sql.j2' import worst_first, display_columns -%}
with keys as (
    select g.owner_unit, g.index_name, g.appendix, g.unit_code, g.criterion_code, g.gap,
        g.index_order, g.code_order, g.relative_gap,
    from criterion_gaps as g
    where g.status in ('missed', 'at_risk')
),

ranked as (
    select *,
        row_number() over (partition by owner_unit order by {{ worst_first() }}) as owner_rank,
    from keys
    qualify owner_rank <= (select owner_rows from plan_settings)
),

criteria as (
    select g.*, r.owner_rank,
    from ranked as r
    join criterion_gaps as g
        on g.index_name = r.index_name and g.appendix is not distinct from r.appendix
        and g.unit_code = r.unit_code and g.criterion_code = r.criterion_code
),

final as (
    select c.* exclude (owner_rank), {{ display_columns('c') }}, c.owner_rank,
    from criteria as c
    order by c.owner_name collate vi, c.owner_unit, c.owner_rank
)

select * from final
