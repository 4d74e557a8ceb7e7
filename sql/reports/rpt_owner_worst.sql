-- For each owner unit, its missed and at-risk criteria furthest from target, in the same worst
-- first order as rpt_worst (at most the plan's documents.owner_rows each): the report's table
-- per owner. Reads: criterion_gaps, plan_settings.
{% from '_criteria.sql.j2' import worst_first, display_columns -%}
with ranked as (
    -- ranked on the sort keys alone; the kept rows are then read whole, by rowid
    select g.rowid as row_id,
        row_number() over (partition by g.owner_unit order by {{ worst_first() }}) as owner_rank,
    from criterion_gaps as g
    where g.status in ('missed', 'at_risk') and g.plan_id = (select plan_id from plan_settings)
    qualify owner_rank <= (select owner_rows from plan_settings)
),

criteria as (
    select g.*, r.owner_rank,
    from ranked as r
    join criterion_gaps as g on g.rowid = r.row_id
),

final as (
    select c.* exclude (owner_rank), {{ display_columns('c') }}, c.owner_rank,
    from criteria as c
    order by c.owner_name collate vi, c.owner_unit, c.owner_rank
)

select * from final
