-- The missed and at-risk criteria furthest from target, in the one "worst first" order every
-- list uses (the summary, the digest, the report): the gap as a share of the criterion's
-- maximum, then the gap, then index, unit and code. As many rows as the longest list shows
-- (the plan's documents.report_rows); how many there are in all is in rpt_standing.
-- Reads: rpt_criteria, plan_settings.
with criteria as (
    select * from rpt_criteria where status in ('missed', 'at_risk')
),

ranked as (
    select
        *,
        row_number() over (
            order by relative_gap nulls last, gap nulls last, index_order, unit_code,
                code_order, criterion_code, appendix
        ) as worst_rank,
    from criteria
),

final as (
    select * from ranked
    where worst_rank <= (select report_rows from plan_settings)
    order by worst_rank
)

select * from final
