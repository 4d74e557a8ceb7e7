-- One row per plan of the province run (province_plans), what the monitoring office's overview
-- shows: how the plan stands (off-track criteria by appendix, missing evidence, units lagging
-- in the survey), its nearest deadline, its worst criteria, and the change in off-track
-- criteria since the previous province run (province_history). A plan whose run failed
-- tonight shows its last published rows (status stale); one never published shows none.
-- A plan with no published file has no numbers (NULL, not 0): it is not a plan with nothing
-- off track. n_rejected: the extracts its latest run refused (plan_rejected).
-- Reads: province_plans, province_history, province_run, criterion_gaps, participation_targets,
-- deadline_watch, plan_settings, plan_rejected.
with plans as (
    select * from province_plans
),

gaps as (
    select g.* from criterion_gaps as g semi join plans as p using (plan_id)
),

standing as (
    select
        plan_id,
        count(*) as n_criteria,
        count(*) filter (where status in ('missed', 'at_risk')) as n_off_track,
        count(*) filter (where status = 'missed') as n_missed,
        count(*) filter (where status = 'at_risk') as n_at_risk,
        count(*) filter (where status in ('missed', 'at_risk') and appendix = 1) as n_off_1,
        count(*) filter (where status in ('missed', 'at_risk') and appendix = 2) as n_off_2,
        count(*) filter (where status in ('missed', 'at_risk') and appendix = 3) as n_off_3,
        count(*) filter (where status in ('missed', 'at_risk') and appendix = 4) as n_off_4,
        count(*) filter (where evidence_missing) as n_evidence_missing,
    from gaps
    group by plan_id
),

worst as (
    -- the three off-track criteria furthest from target relative to their maximum
    select plan_id,
        string_agg(index_name || ' ' || criterion_code, ', '
            order by relative_gap, gap, index_order, unit_code, code_order, criterion_code)
            as worst_codes,
    from (
        select *, row_number() over (partition by plan_id
            order by relative_gap, gap, index_order, unit_code, code_order, criterion_code) as n,
        from gaps
        where status in ('missed', 'at_risk')
    )
    where n <= 3
    group by plan_id
),

lagging as (
    select t.plan_id, count(*) as n_units_lagging,
    from participation_targets as t
    join plan_settings as s on s.plan_id = t.plan_id and t.year = s.target_year
    where t.status = 'lagging'
    group by t.plan_id
),

deadlines as (
    select plan_id, label as next_deadline, ends as next_deadline_date,
        days_left as next_deadline_days,
    from deadline_watch
    where phase <> 'passed'
    qualify row_number() over (partition by plan_id order by ends, pos) = 1
),

rejected as (
    select plan_id, count(*) as n_rejected, from plan_rejected group by plan_id
),

previous as (
    -- each plan as the latest earlier province run left it
    select plan_id, n_off_track as previous_off_track, started_at as previous_run_at,
    from province_history
    where run_id <> (select run_id from province_run)
    qualify row_number() over (partition by plan_id order by started_at desc) = 1
),

final as (
    select
        p.plan_id, p.title, p.status, p.message, p.published_at,
        {% for c in ["n_criteria", "n_off_track", "n_missed", "n_at_risk", "n_off_1", "n_off_2",
                     "n_off_3", "n_off_4", "n_evidence_missing"] -%}
        case when p.db_file is not null then coalesce(s.{{ c }}, 0) end as {{ c }},
        {% endfor -%}
        case when p.db_file is not null then coalesce(l.n_units_lagging, 0) end
            as n_units_lagging,
        case when p.db_file is not null then coalesce(r.n_rejected, 0) end as n_rejected,
        d.next_deadline, d.next_deadline_date, d.next_deadline_days,
        w.worst_codes,
        v.previous_off_track,
        case when p.db_file is not null then coalesce(s.n_off_track, 0) - v.previous_off_track
            end as change_off_track,
        v.previous_run_at,
    from plans as p
    left join standing as s using (plan_id)
    left join worst as w using (plan_id)
    left join lagging as l using (plan_id)
    left join rejected as r using (plan_id)
    left join deadlines as d using (plan_id)
    left join previous as v using (plan_id)
    order by p.status = 'published', coalesce(s.n_off_track, 0) desc, p.plan_id
)

select * from final
