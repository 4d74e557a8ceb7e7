-- For each owner unit, its missed and at-risk criteria furthest from target, in the same worst
-- first order as rpt_worst (at most the plan's documents.owner_rows each): the report's table
-- per owner. Reads: rpt_criteria, plan_settings.
with criteria as (
    select * from rpt_criteria where status in ('missed', 'at_risk')
),

ranked as (
    select
        *,
        row_number() over (
            partition by owner_unit
            order by relative_gap nulls last, gap nulls last, index_order, unit_code,
                code_order, criterion_code, appendix
        ) as owner_rank,
    from criteria
),

final as (
    select * from ranked
    where owner_rank <= (select owner_rows from plan_settings)
    order by owner_name collate vi, owner_unit, owner_rank
)

select * from final
