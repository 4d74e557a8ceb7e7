-- One row per index x appendix of criterion_gaps, and one for all of them (is_total): how many
-- criteria are in each status. What the summary, the digest and the report count by.
-- Reads: rpt_status_counts.
with counts as (
    select * from rpt_status_counts where grouped_by in ('appendix', 'total')
),

counted as (
    select
        grouped_by = 'total' as is_total,
        index_name,
        appendix,
        total, met, missed, at_risk, no_data, not_applicable, retired, evidence_missing,
        children_sum_differs,
    from counts
),

final as (
    select
        *,
        missed + at_risk as off_track,
    from counted
    order by is_total, list_position(['PAR', 'SIPAS', 'PAPI'], index_name), appendix nulls last
)

select * from final
