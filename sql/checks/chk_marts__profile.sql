-- One row per published mart beside criterion_gaps (gap_history, participation_targets,
-- rank_targets, deadline_watch): how many of its rows break a rule of its shape. The Great
-- Expectations suite target_marts_profile checks that each count is zero; a failing row names
-- the mart to look at. Keys include plan_id: gap_history keeps other plans' periods (a chain of
-- plan years). Reads: gap_history, participation_targets, rank_targets, deadline_watch.
with history as (
    select * from gap_history
),

participation as (
    select * from participation_targets
),

ranks as (
    select * from rank_targets
),

deadlines as (
    select * from deadline_watch
),

profiled as (
    select
        'gap_history' as mart,
        count(*) as n_rows,
        count(*) filter (where plan_id is null or index_name is null or unit_code is null
            or criterion_code is null or valid_from is null) as n_null_keys,
        count(*) - count(distinct (plan_id, index_name, appendix, unit_code, criterion_code,
            valid_from)) as n_duplicate_keys,
        count(*) filter (where status is null or status not in
            ('met', 'missed', 'at_risk', 'no_data', 'not_applicable', 'retired'))
            as n_bad_status,
        count(*) filter (where valid_to <= valid_from) as n_bad_values,
    from history
    union all
    select
        'participation_targets',
        count(*),
        count(*) filter (where year is null or index_name is null or unit_code is null),
        count(*) - count(distinct (plan_id, year, index_name, unit_code)),
        count(*) filter (where status is null or status not in ('met', 'lagging')),
        count(*) filter (where response_rate_pct < 0 or forms_answered > forms_assigned),
    from participation
    union all
    select
        'rank_targets',
        count(*),
        count(*) filter (where index_name is null or member is null or scope is null),
        count(*) - count(distinct (plan_id, index_name, member, scope)),
        count(*) filter (where status is null or status not in ('met', 'missed', 'no_data')),
        count(*) filter (where baseline_rank < 1 or baseline_rank > baseline_n_ranked
            or current_rank < 1 or current_rank > current_n_ranked),
    from ranks
    union all
    select
        'deadline_watch',
        count(*),
        count(*) filter (where pos is null or label is null or ends is null),
        count(*) - count(distinct (plan_id, pos)),
        count(*) filter (where phase is null or phase not in ('passed', 'ongoing', 'upcoming')),
        count(*) filter (where starts > ends),
    from deadlines
),

final as (
    select row_number() over (order by mart) - 1 as check_row, *,
    from profiled
)

select * from final
