-- One row per assessed unit x SIPAS criterion whose baseline rate is low (appendix 3):
-- target = baseline + increase percentage points (or x (1 + increase/100)), capped at 100.
-- A unit whose baseline the plan takes from other units (int_units__baseline_sources) gets the
-- rate of their answers pooled: 100 x the satisfied answers over all valid answers (a published
-- rate counts rate x n / 100 satisfied), exact to 6 places.
-- Reads: int_sipas__rates, int_units__baseline_sources, int_means__by_year_code, plan_settings,
-- plan_units, plan_low_rules.
with settings as (
    select * from plan_settings
),

sources as (
    select * from int_units__baseline_sources where index_name = 'SIPAS'
),

own_rates as (
    select *, null::varchar as baseline_from,
    from int_sipas__rates
    where year <> (select baseline_year from settings)
        or unit_code not in (select unit_code from sources)
),

pooled as (
    select
        r.year,
        s.unit_code,
        r.criterion_code,
        any_value(r.criterion_name) as criterion_name,
        any_value(r.element) as element,
        sum(r.n) as n,
        sum(r.n_satisfied) as n_satisfied,
        exact_div(sum(coalesce(100 * r.n_satisfied, r.rate_pct * r.n)), sum(r.n)) as rate_pct,
        coalesce(sum(r.n) < (select sipas_small_sample_n from settings), false) as small_sample,
        case when count(distinct r.rate_source) = 1 then any_value(r.rate_source)
            else 'pooled' end as rate_source,
        case when bool_or(r.stage = 'interim') then 'interim' else 'final' end as stage,
        any_value(s.baseline_from) as baseline_from,
    from sources as s
    join int_sipas__rates as r
        on r.unit_code = s.from_unit and r.year = (select baseline_year from settings)
    group by r.year, s.unit_code, r.criterion_code
),

rates as (
    select * from own_rates
    union all by name
    select * from pooled
),

means as (
    select * from int_means__by_year_code where index_name = 'SIPAS'
),

low_rules as (
    select * from plan_low_rules where index_name = 'SIPAS'
),

baseline as (
    select r.*, m.n_members, m.value_sum,
    from rates as r
    left join means as m on m.year = r.year and m.code = r.criterion_code
    where r.year = (select baseline_year from settings)
        and ((select all_units from settings) or r.unit_code in (select unit_code from plan_units))
),

low as (
    select b.*,
    from baseline as b
    where (select sipas_enabled from settings)
        and (
            b.criterion_code in (select code from low_rules where rule = 'code')
            or exists (select 1 from low_rules where rule = 'below' and b.rate_pct < threshold)
            or (exists (select 1 from low_rules where rule = 'below_mean')
                and b.rate_pct * b.n_members < b.value_sum)
        )
),

targeted as (
    select
        l.*,
        case (select sipas_mode from settings)
            -- x 0.01 rather than / 100: DuckDB's DECIMAL division returns a DOUBLE; the cast
            -- rounds the exact product half up to six places
            when 'relative' then cast(
                l.rate_pct * ((100 + (select sipas_increase from settings)) * 0.01::decimal(3, 2))
                as decimal(18, 6))
            else l.rate_pct + (select sipas_increase from settings)
        end as uncapped_target,
    from low as l
),

current as (
    select * from rates where year = (select target_year from settings)
),

final as (
    select
        'SIPAS' as index_name,
        3 as appendix,
        t.unit_code,
        t.criterion_code,
        t.criterion_code as code_path,
        t.criterion_name,
        'criterion' as level,
        t.year as baseline_year,
        t.rate_pct as baseline_value,
        t.n as baseline_n,
        cast(100 as decimal(18, 6)) as max_value,
        '>=' as target_op,
        least(t.uncapped_target, 100) as target_value,
        t.uncapped_target > 100 as target_capped,
        (select sipas_increase from settings) as increase,
        (select sipas_mode from settings) as increase_mode,
        (select target_year from settings) as current_year,
        c.rate_pct as current_value,
        case when c.rate_pct is not null then c.stage end as current_stage,
        c.n as current_n,
        coalesce(c.small_sample, false) or t.small_sample as small_sample,
        false as not_applicable,
        null::decimal(20, 8) as baseline_children_value,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        true as in_baseline,
        c.criterion_code is not null as in_current,
        t.baseline_from,
    from targeted as t
    left join current as c on c.unit_code = t.unit_code and c.criterion_code = t.criterion_code
)

select * from final
