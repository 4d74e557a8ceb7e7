-- One row per tracked province x PAPI code (dimension or sub-dimension) whose baseline score
-- is low (appendix 4): target = baseline + increase points, capped at the code's scale max.
-- The baseline comes from where int_papi__plan_provinces says: the province's own score, or its
-- predecessors' (one, or a weighted mean rounded half up to 6 places over those that scored the
-- code); "below the mean" compares it with the mean of the map it came from.
-- Reads: int_papi__scores, int_papi__plan_provinces, int_means__by_year_code, plan_settings,
-- plan_low_rules.
with settings as (
    select * from plan_settings
),

scores as (
    select * from int_papi__scores
),

tracked as (
    select * from int_papi__plan_provinces where baseline_kind <> 'none'
),

means as (
    select * from int_means__by_year_code where index_name = 'PAPI'
),

low_rules as (
    select * from plan_low_rules where index_name = 'PAPI'
),

baseline_scores as (
    select t.province_map, t.province_code, t.province_name, t.baseline_from, t.from_map,
        s.year, s.code, s.name_vi, s.level, s.scale_max, s.score, t.weight,
    from tracked as t
    join scores as s
        on s.province_map = t.from_map and s.province_code = t.from_code
        and s.year = (select baseline_year from settings)
),

baseline as (
    select
        b.province_map, b.province_code, b.province_name, b.baseline_from, b.year, b.code,
        any_value(b.name_vi) as name_vi,
        any_value(b.level) as level,
        max(b.scale_max) as scale_max,
        case when count(*) = 1 then any_value(b.score)
            else exact_div(sum(b.weight * b.score), sum(b.weight)) end as score,
        m.n_members,
        m.value_sum,
    from baseline_scores as b
    left join means as m on m.year = b.year and m.code = b.code and m.province_map = b.from_map
    group by b.province_map, b.province_code, b.province_name, b.baseline_from, b.year, b.code,
        m.n_members, m.value_sum
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
        l.province_name as unit_code,
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
        l.baseline_from,
    from low as l
    left join current as c
        on c.province_map = l.province_map and c.province_code = l.province_code
        and c.code = l.code
)

select * from final
