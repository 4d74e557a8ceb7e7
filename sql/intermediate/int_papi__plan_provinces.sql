-- One row per province the plan tracks in PAPI x a province its baseline comes from. A tracked
-- province is named as on the target year's map. Its baseline, in this order (the plan's rule):
--   same        it has baseline-year scores on that map (its own, the map unchanged);
--   recomputed  it has baseline-year scores on that map although the year is on another one: an
--               extract gave scores recomputed for the new province (province_map);
--   predecessor the one province of the baseline year's map the plan names for it
--               (rules.papi_raise_low.baseline_from);
--   weighted    the provinces the plan names for it, with their weights: code by code, the
--               weighted mean of the scores of those that have one;
--   none        nothing of the above: no baseline, so no target (the summary says so).
-- A year's map is the one its scores are on when they are on one, else year_province_map.
-- Reads: int_papi__scores, stg_ref__provinces, plan_settings, plan_provinces, plan_papi_baseline.
with settings as (
    select * from plan_settings
),

scores as (
    select * from int_papi__scores
),

names as (
    select * from stg_ref__provinces
),

declared as (
    select * from plan_papi_baseline
),

plan_years as (
    select baseline_year as year, 'baseline' as role, from settings
    union all
    select target_year as year, 'target' as role, from settings
),

year_maps as (
    select
        y.role,
        y.year,
        coalesce(
            (select min(s.province_map) from scores as s where s.year = y.year
             having count(distinct s.province_map) = 1),
            year_province_map(y.year)
        ) as province_map,
    from plan_years as y
),

target_map as (
    select province_map from year_maps where role = 'target'
),

baseline_map as (
    select year, province_map from year_maps where role = 'baseline'
),

tracked as (
    select n.province_map, n.province_code, n.province_name, p.province as plan_name,
    from plan_provinces as p
    join names as n
        on n.name_key = province_name_key(p.province)
        and n.province_map = (select province_map from target_map)
    where not (select all_provinces from settings)
    union
    select s.province_map, s.province_code, s.province_name, s.province_name as plan_name,
    from scores as s
    where (select all_provinces from settings)
        and s.province_map = (select province_map from target_map)
        and s.year in (select year from plan_years)
),

own_baseline as (
    select t.*,
        t.province_map as from_map,
        t.province_code as from_code,
        t.province_name as from_name,
        1::decimal(18, 6) as weight,
        case when t.province_map = (select province_map from baseline_map) then 'same'
            else 'recomputed' end as baseline_kind,
    from tracked as t
    where exists (
        select 1 from scores as s
        where s.year = (select year from baseline_map)
            and s.province_map = t.province_map and s.province_code = t.province_code
    )
),

declared_baseline as (
    select t.*,
        n.province_map as from_map,
        n.province_code as from_code,
        n.province_name as from_name,
        d.weight,
        case when count(*) over (partition by t.province_map, t.province_code) = 1
            then 'predecessor' else 'weighted' end as baseline_kind,
    from tracked as t
    join declared as d on province_name_key(d.province) = province_name_key(t.plan_name)
    join names as n
        on n.name_key = province_name_key(d.predecessor)
        and n.province_map = (select province_map from baseline_map)
    where not exists (
        select 1 from own_baseline as o
        where o.province_map = t.province_map and o.province_code = t.province_code
    )
),

no_baseline as (
    select t.*,
        null::integer as from_map,
        null::varchar as from_code,
        null::varchar as from_name,
        null::decimal(18, 6) as weight,
        'none' as baseline_kind,
    from tracked as t
    where not exists (
        select 1 from own_baseline as o
        where o.province_map = t.province_map and o.province_code = t.province_code
    )
        and not exists (
            select 1 from declared_baseline as d
            where d.province_map = t.province_map and d.province_code = t.province_code
        )
),

sources as (
    select * from own_baseline
    union all by name
    select * from declared_baseline
    union all by name
    select * from no_baseline
),

final as (
    select
        province_map,
        province_code,
        province_name,
        plan_name,
        baseline_kind,
        from_map,
        from_code,
        from_name,
        weight,
        -- the baseline's origin as documents say it (NULL when it is the province itself)
        case baseline_kind
            when 'recomputed' then province_name || ', điểm tính lại theo bản đồ '
                || province_map || ' tỉnh'
            when 'predecessor' then from_name || ' (tỉnh tiền thân, bản đồ ' || from_map
                || ' tỉnh)'
            when 'weighted' then 'bình quân có trọng số của '
                || string_agg(from_name || ' × ' || vi_number(weight, null), ', '
                    order by weight desc, from_name)
                    over (partition by province_map, province_code)
                || ' (bản đồ ' || from_map || ' tỉnh)'
        end as baseline_from,
    from sources
)

select * from final
