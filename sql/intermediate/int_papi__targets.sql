-- One row per tracked province x PAPI code (dimension or sub-dimension) whose baseline score
-- is low (appendix 4): target = baseline + increase points, capped at the code's scale max.
-- Reads: int_papi__scores, int_means__by_year_code, plan_settings, plan_provinces, plan_low_rules.
with settings as (
    select * from plan_settings
),

scores as (
    select * from int_papi__scores
    where (select all_provinces from settings)
        or province_key in (select fold_key(province) from plan_provinces)
),

means as (
    select * from int_means__by_year_code where index_name = 'PAPI'
),

low_rules as (
    select * from plan_low_rules where index_name = 'PAPI'
),

baseline as (
    select s.*, m.n_members, m.value_sum,
    from scores as s
    left join means as m on m.year = s.year and m.code = s.code
    where s.year = (select baseline_year from settings)
),

low as (
    select b.*,
    from baseline as b
    where (select papi_enabled from settings)
        and (
            b.code in (
                select case when regexp_full_match(code, '[Dd][1-9]') then upper(code) else code end
                from low_rules where rule = 'code'
            )
            or exists (select 1 from low_rules where rule = 'below' and b.score < threshold)
            or (exists (select 1 from low_rules where rule = 'below_mean')
                and b.score * b.n_members < b.value_sum)
        )
),

current as (
    select * from scores where year = (select target_year from settings)
),

final as (
    select
        'PAPI' as index_name,
        4 as appendix,
        l.province as unit_code,
        l.code as criterion_code,
        replace(l.code, 'D', '') as code_path,
        l.name_vi as criterion_name,
        l.level,
        l.year as baseline_year,
        l.score as baseline_value,
        null::bigint as baseline_n,
        coalesce(c.scale_max, l.scale_max) as max_value,
        '>=' as target_op,
        least(l.score + (select papi_increase from settings), coalesce(c.scale_max, l.scale_max))
            as target_value,
        l.score + (select papi_increase from settings) > coalesce(c.scale_max, l.scale_max)
            as target_capped,
        (select papi_increase from settings) as increase,
        'points' as increase_mode,
        (select target_year from settings) as current_year,
        c.score as current_value,
        case when c.score is not null then 'final' end as current_stage,
        null::bigint as current_n,
        false as small_sample,
        false as not_applicable,
        null::decimal(20, 8) as baseline_children_value,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        true as in_baseline,
        c.code is not null as in_current,
    from low as l
    left join current as c on c.province_key = l.province_key and c.code = l.code
)

select * from final
