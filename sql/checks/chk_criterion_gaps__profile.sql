-- One row per index, appendix and assessed unit of criterion_gaps: how many of its rows break a
-- rule of the table's shape. The Great Expectations suite target_gaps_profile checks that each
-- count is zero (and the index and appendix names), so GX reads one row per unit, not one per
-- criterion; a failing row names the unit and appendix to look at.
-- Reads: criterion_gaps.
with gaps as (
    select * from criterion_gaps
),

profiled as (
    select
        index_name,
        appendix,
        unit_code,
        count(*) as n_criteria,
        count(distinct criterion_code) as n_distinct_criteria,
        count(*) filter (
            where status is null
                or status not in ('met', 'missed', 'at_risk', 'no_data', 'not_applicable',
                    'retired')
        ) as n_bad_status,
        count(*) filter (where target_op not in ('>=', '>')) as n_bad_target_op,
        count(*) filter (where owner_unit is null) as n_without_owner,
        count(*) filter (where target_value > max_value) as n_target_above_max,
        count(*) filter (where status = 'retired') as n_retired,
        count(*) filter (where status = 'retired' and target_value is not null)
            as n_retired_with_target,
    from gaps
    group by index_name, appendix, unit_code
),

final as (
    select
        row_number() over (order by index_name, appendix, unit_code) - 1 as check_row,
        *,
    from profiled
)

select * from final
