-- One row per assessed unit x SIPAS criterion whose baseline rate is low (appendix 3):
-- target = baseline + increase percentage points (or x (1 + increase/100)), capped at 100.
-- Reads: int_sipas__rates, int_means__by_year_code, plan_settings, plan_units, plan_low_rules.
with settings as (
    select * from plan_settings
),

rates as (
    select * from int_sipas__rates
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
    from targeted as t
    left join current as c on c.unit_code = t.unit_code and c.criterion_code = t.criterion_code
)

select * from final
