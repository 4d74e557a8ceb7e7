-- One row per criterion of the plan (criterion_gaps, under its code in the target year's
-- edition) x year on the data x unit that scored it: the criterion's trend across all years,
-- followed through code changes by the crosswalk's identity, not by its code. A year up to the
-- baseline year is read in the baseline edition: its score sits under the code the criterion
-- has now, and old_codes names the code(s) it had (a split criterion shows the old whole under
-- each part, a merged one its parts pooled: points over maxima). Years before a merger of units
-- show each predecessor the plan takes its baseline from (scored_unit); PAPI years on the other
-- province map show the predecessor provinces. Values as scored: PAR points (of max_value),
-- SIPAS rates (% satisfied), PAPI scores (of the scale's max).
-- Reads: criterion_gaps, int_par__tree, int_par__crosswalk, int_units__baseline_sources,
-- int_sipas__rates, int_papi__scores, int_papi__plan_provinces, plan_settings.
with settings as (
    select * from plan_settings
),

criteria as (
    select distinct plan_id, index_name, unit_code, criterion_code,
    from criterion_gaps
),

sources as (
    -- the units whose scores are a plan unit's: itself, and those its baseline comes from
    select index_name, unit_code, from_unit as scored_unit from int_units__baseline_sources
    union
    select distinct index_name, unit_code, unit_code from criteria
    where index_name in ('PAR', 'SIPAS')
),

crosswalk as (
    select * from int_par__crosswalk where kind not in ('retired', 'new')
),

par as (
    select
        'PAR' as index_name, u.unit_code, s.unit_code as scored_unit, s.year,
        coalesce(x.new_code, s.criterion_code) as criterion_code,
        string_agg(distinct s.criterion_code, ', ' order by s.criterion_code)
            filter (where x.old_code is not null
                and (x.old_code <> x.new_code or x.kind = 'merged')) as old_codes,
        case when count(*) > 1 then sum(s.value) else any_value(s.value) end as value,
        sum(s.max_points) as max_value,
        min(s.stage) as stage,
    from int_par__tree as s
    join sources as u on u.index_name = 'PAR' and u.scored_unit = s.unit_code
    left join crosswalk as x
        on x.old_code = s.criterion_code and s.year <= (select baseline_year from settings)
        -- the scoring unit's own crosswalk, else the plan's file for every other unit
        and (x.unit_code = s.unit_code
            or (x.unit_code is null and s.unit_code not in (
                select unit_code from int_par__crosswalk where unit_code is not null)))
    where s.level in ('TC', 'TCTP') and s.year <= (select target_year from settings)
    group by all
),

sipas as (
    select
        'SIPAS' as index_name, u.unit_code, r.unit_code as scored_unit, r.year,
        r.criterion_code, null::varchar as old_codes, r.rate_pct as value,
        100::decimal(20, 8) as max_value, r.stage,
    from int_sipas__rates as r
    join sources as u on u.index_name = 'SIPAS' and u.scored_unit = r.unit_code
    where r.year <= (select target_year from settings)
),

papi_sources as (
    -- a tracked province: itself on the target year's map, and the provinces its baseline
    -- comes from (itself on the same map, a predecessor on the other)
    select plan_name, province_map as score_map, province_code as score_code,
    from int_papi__plan_provinces
    union
    select plan_name, from_map, from_code,
    from int_papi__plan_provinces where from_code is not null
),

papi as (
    select
        'PAPI' as index_name, p.plan_name as unit_code, s.province_name as scored_unit, s.year,
        s.code as criterion_code, null::varchar as old_codes, s.score as value,
        s.scale_max as max_value, 'final' as stage,
    from int_papi__scores as s
    join papi_sources as p on p.score_map = s.province_map and p.score_code = s.province_code
    where s.year <= (select target_year from settings)
),

trend as (
    select * from par
    union all by name select * from sipas
    union all by name select * from papi
),

final as (
    select
        c.plan_id,
        t.index_name,
        t.unit_code,
        t.criterion_code,
        t.year,
        t.scored_unit,
        t.old_codes,
        t.value::decimal(20, 8) as value,
        t.max_value::decimal(20, 8) as max_value,
        case when t.value >= 0 and t.max_value > 0
            then round(exact_div(100 * t.value, t.max_value), 2) end as share_pct,
        t.stage,
        t.year = (select baseline_year from settings) as is_baseline_year,
        t.year = (select target_year from settings) as is_target_year,
    from trend as t
    join criteria as c using (index_name, unit_code, criterion_code)
    order by list_position(['PAR', 'SIPAS', 'PAPI'], t.index_name), t.unit_code,
        try_cast(string_split(replace(t.criterion_code, 'D', ''), '.') as integer[]),
        t.criterion_code, t.year, t.scored_unit
)

select * from final
