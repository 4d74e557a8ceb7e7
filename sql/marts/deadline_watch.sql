-- One row per key date of the plan (self-assessment deadline, appraisal, survey period): the
-- days left on the run's date, and what is still at risk, missed or without evidence for the
-- index it concerns, and which units still owe survey forms. What the Office's digest and the
-- report list with each deadline.
-- Reads: plan_key_dates, current_run, criterion_gaps, participation_targets, plan_settings.
with key_dates as (
    select * from plan_key_dates
),

run as (
    select * from current_run
),

gaps as (
    select * from criterion_gaps
),

lagging as (
    select * from participation_targets
    where status = 'lagging' and year = (select target_year from plan_settings)
),

per_index as (
    select
        k.pos,
        count(*) filter (where g.status = 'at_risk') as n_at_risk,
        count(*) filter (where g.status = 'missed') as n_missed,
        count(*) filter (where g.evidence_missing) as n_evidence_missing,
        list(g.criterion_code order by g.criterion_code) filter (where g.status = 'at_risk')
            as at_risk_codes,
        list(g.criterion_code order by g.criterion_code) filter (where g.evidence_missing)
            as evidence_missing_codes,
    from key_dates as k
    left join gaps as g on k.index_name is null or g.index_name = k.index_name
    group by k.pos
),

units_lagging as (
    select
        k.pos,
        count(l.unit_code) as n_units_lagging,
        list(l.unit_code order by l.unit_code) filter (where l.unit_code is not null)
            as lagging_units,
    from key_dates as k
    left join lagging as l on k.index_name is null or l.index_name = k.index_name
    group by k.pos
),

final as (
    select
        k.pos,
        k.label,
        k.index_name,
        k.starts,
        k.ends,
        r.as_of_date,
        k.ends - r.as_of_date as days_left,
        case
            when r.as_of_date > k.ends then 'passed'
            when r.as_of_date >= k.starts and k.starts < k.ends then 'ongoing'
            else 'upcoming'
        end as phase,
        p.n_at_risk,
        p.n_missed,
        p.n_evidence_missing,
        coalesce(p.at_risk_codes, []) as at_risk_codes,
        coalesce(p.evidence_missing_codes, []) as evidence_missing_codes,
        u.n_units_lagging,
        coalesce(u.lagging_units, []) as lagging_units,
    from key_dates as k
    cross join run as r
    join per_index as p using (pos)
    join units_lagging as u using (pos)
    order by k.ends, k.pos
)

select (select plan_id from plan_settings) as plan_id, * from final
