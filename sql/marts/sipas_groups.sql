-- One row per assessed unit of the plan x SIPAS component x element: the group's satisfaction
-- rate in the baseline and the target year, pooled over its answers (100 x the satisfied answers
-- over the valid answers of its criteria; a published rate counts rate x n / 100), and how its
-- criteria with a target (Phụ lục 3) stand. The 2023 layout has no component: one group per
-- element. What the report's "SIPAS theo thành phần và yếu tố" shows.
-- Reads: int_sipas__rates, criterion_gaps, stg_sipas__criteria, plan_settings, plan_units.
with settings as (
    select * from plan_settings
),

rates as (
    select * from int_sipas__rates
    where year in ((select baseline_year from settings), (select target_year from settings))
        and ((select all_units from settings) or unit_code in (select unit_code from plan_units))
),

pooled as (
    select
        unit_code,
        coalesce(component, '') as component_key,
        coalesce(element, 0) as element_key,
        count(*) filter (where year = (select baseline_year from settings)) as baseline_criteria,
        sum(n) filter (where year = (select baseline_year from settings)) as baseline_n,
        exact_div(
            sum(coalesce(100 * n_satisfied, rate_pct * n))
                filter (where year = (select baseline_year from settings)),
            sum(n) filter (where year = (select baseline_year from settings))
        ) as baseline_rate_pct,
        count(*) filter (where year = (select target_year from settings)) as current_criteria,
        sum(n) filter (where year = (select target_year from settings)) as current_n,
        exact_div(
            sum(coalesce(100 * n_satisfied, rate_pct * n))
                filter (where year = (select target_year from settings)),
            sum(n) filter (where year = (select target_year from settings))
        ) as current_rate_pct,
        bool_or(stage = 'interim' and year = (select target_year from settings)) as interim,
    from rates
    group by all
),

targets as (
    select
        g.unit_code,
        coalesce(k.component, '') as component_key,
        coalesce(k.element, 0) as element_key,
        count(*) as n_targets,
        count(*) filter (where g.status = 'met') as n_met,
        count(*) filter (where g.status in ('missed', 'at_risk')) as n_off_track,
    from criterion_gaps as g
    left join stg_sipas__criteria as k on k.question_code = g.criterion_code
    where g.index_name = 'SIPAS'
    group by all
),

final as (
    select
        p.unit_code,
        nullif(p.component_key, '') as component,
        nullif(p.element_key, 0) as element,
        p.baseline_criteria,
        p.baseline_n,
        p.baseline_rate_pct,
        p.current_criteria,
        p.current_n,
        p.current_rate_pct,
        p.current_rate_pct - p.baseline_rate_pct as change_pct,
        p.interim,
        coalesce(t.n_targets, 0) as n_targets,
        coalesce(t.n_met, 0) as n_met,
        coalesce(t.n_off_track, 0) as n_off_track,
    from pooled as p
    left join targets as t using (unit_code, component_key, element_key)
    order by p.unit_code, list_position(['policy', 'service_delivery'], component) nulls last,
        element nulls last
)

select (select plan_id from plan_settings) as plan_id, * from final
