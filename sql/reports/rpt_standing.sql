-- One row per index x appendix of criterion_gaps, and one for all of them (is_total): how many
-- criteria are in each status. What the summary, the digest and the report count by.
-- Reads: criterion_gaps.
with gaps as (
    select * from criterion_gaps
),

counted as (
    select
        grouping(index_name, appendix) = 3 as is_total,
        index_name,
        appendix,
        count(*) as total,
        count(*) filter (where status = 'met') as met,
        count(*) filter (where status = 'missed') as missed,
        count(*) filter (where status = 'at_risk') as at_risk,
        count(*) filter (where status = 'no_data') as no_data,
        count(*) filter (where status = 'not_applicable') as not_applicable,
        count(*) filter (where evidence_missing) as evidence_missing,
        count(*) filter (where children_sum_differs) as children_sum_differs,
    from gaps
    group by grouping sets ((index_name, appendix), ())
),

final as (
    select
        *,
        missed + at_risk as off_track,
    from counted
    order by is_total, list_position(['PAR', 'SIPAS', 'PAPI'], index_name), appendix nulls last
)

select * from final
