-- The province run in one row, what the overview's heading, the console's first line and the
-- digest's subject say: how many plans, how many published tonight, kept stale (their last
-- published rows), not published at all (failed, or the plan file refused), and the
-- off-track criteria of the plans that have numbers. province_runs records it each run.
-- Reads: province_run, rpt_province__plans.
select
    r.run_id, r.started_at, r.province, r.office_name, r.office_email,
    count(p.plan_id) as n_plans,
    count(p.plan_id) filter (where p.status = 'published') as n_published,
    count(p.plan_id) filter (where p.status = 'stale') as n_stale,
    count(p.plan_id) filter (where p.status in ('failed', 'invalid')) as n_failed,
    coalesce(sum(p.n_off_track), 0) as n_off_track,
    max(p.previous_run_at) as previous_run_at,
from province_run as r
left join rpt_province__plans as p on true
group by all
