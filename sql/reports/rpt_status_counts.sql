-- How many criteria of criterion_gaps are in each status, counted once for every grouping a
-- document shows: per index x appendix (grouped_by 'appendix'), per owner unit ('owner'), and
-- all of them ('total'). rpt_standing and rpt_owner_status select from it.
-- Reads: criterion_gaps.
with gaps as (
    select * from criterion_gaps
),

final as (
    select
        case
            when grouping(owner_unit) = 0 then 'owner'
            when grouping(index_name) = 0 then 'appendix'
            else 'total'
        end as grouped_by,
        index_name,
        appendix,
        owner_unit,
        count(*) as total,
        count(*) filter (where status = 'met') as met,
        count(*) filter (where status = 'missed') as missed,
        count(*) filter (where status = 'at_risk') as at_risk,
        count(*) filter (where status = 'no_data') as no_data,
        count(*) filter (where status = 'not_applicable') as not_applicable,
        count(*) filter (where status = 'retired') as retired,
        count(*) filter (where evidence_missing) as evidence_missing,
        count(*) filter (where children_sum_differs) as children_sum_differs,
    from gaps
    group by grouping sets ((index_name, appendix), (owner_unit), ())
)

select * from final
