-- One row per criterion per appendix per period in which its values did not change:
-- valid_from (inclusive) to valid_to (exclusive; NULL = still current), by as-of date in
-- Asia/Ho_Chi_Minh. Kept compact: a nightly run adds rows only for what changed. baseline_code
-- keeps the code the criterion had in the baseline year's edition (criterion_gaps): across a
-- chain of plans, a plan's criterion follows the previous plan's by it, not by its code.
-- A re-run on the same as-of date replaces that date's rows. Rows of other plans (plan_id: a
-- plan earlier in a chain, another plan of the province) are kept as they are.
-- Reads: prev_gap_history (the history as published before this run), criterion_gaps, current_run.
with run as (
    select as_of_date from current_run
),

this_plan as (
    select plan_id from plan_settings
),

other_plans as (
    select * from prev_gap_history
    where plan_id is distinct from (select plan_id from this_plan)
),

previous as (
    select * from prev_gap_history
    where plan_id = (select plan_id from this_plan)
        and valid_from < (select as_of_date from run)
),

reopened as (
    -- periods closed on or after today's as-of date are open again: today is being rebuilt
    select
        * replace (
            case when valid_to >= (select as_of_date from run) then null else valid_to end
                as valid_to
        ),
    from previous
),

closed_before as (
    select * from reopened where valid_to is not null
),

open_before as (
    select * from reopened where valid_to is null
),

today as (
    select
        plan_id, index_name, appendix, unit_code, criterion_code, baseline_code, baseline_value,
        target_value, current_value, current_stage, gap, status,
    from criterion_gaps
),

unchanged as (
    select o.*,
    from open_before as o
    semi join today as t
        on t.index_name = o.index_name
        and t.appendix is not distinct from o.appendix
        and t.unit_code = o.unit_code
        and t.criterion_code = o.criterion_code
        and t.baseline_value is not distinct from o.baseline_value
        and t.target_value is not distinct from o.target_value
        and t.current_value is not distinct from o.current_value
        and t.current_stage is not distinct from o.current_stage
        and t.status = o.status
),

ended as (
    select o.* replace ((select as_of_date from run) as valid_to),
    from open_before as o
    anti join unchanged as u
        on u.index_name = o.index_name
        and u.appendix is not distinct from o.appendix
        and u.unit_code = o.unit_code
        and u.criterion_code = o.criterion_code
),

started as (
    select t.*, (select as_of_date from run) as valid_from, null::date as valid_to,
    from today as t
    anti join unchanged as u
        on u.index_name = t.index_name
        and u.appendix is not distinct from t.appendix
        and u.unit_code = t.unit_code
        and u.criterion_code = t.criterion_code
),

final as (
    select
        plan_id, index_name, appendix, unit_code, criterion_code, baseline_code, valid_from,
        valid_to, baseline_value, target_value, current_value, current_stage, gap, status,
    from (
        select * from other_plans
        union all by name select * from closed_before
        union all by name select * from unchanged
        union all by name select * from ended
        union all by name select * from started
    )
    order by plan_id, index_name, unit_code, criterion_code, appendix, valid_from
)

select * from final
