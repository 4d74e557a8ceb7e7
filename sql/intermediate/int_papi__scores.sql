-- One row per year x province map x province x PAPI code, with the code's scale: a dimension scores 1-10, a
-- sub-dimension 1/k-10/k where k is the number of sub-dimensions of its dimension: from the
-- reference structure (ref_papi_codes) where it is known, else counted in that year's data.
-- Each score is on one province map: the one its extract declares, else its year's
-- (year_province_map); its province is resolved by name within that map only, so a name on both
-- maps (Thái Nguyên) never lets an old-map score pass as the new province's.
-- Reads: stg_papi__scores, stg_ref__provinces, ref_papi_codes (names, structure).
with staged as (
    select *, coalesce(declared_map, year_province_map(year)) as province_map,
    from stg_papi__scores
    where score is not null and level is not null
),

province_names as (
    select * from stg_ref__provinces
),

scores as (
    select s.*, p.province_code, p.province_name,
    from staged as s
    left join province_names as p
        on p.province_map = s.province_map and p.name_key = province_name_key(s.province)
),

codes as (
    select * from ref_papi_codes
),

subdims_in_data as (
    select year, dimension_code, count(distinct code) as n_subdims,
    from scores
    where level = 'subdimension'
    group by all
),

subdims_in_reference as (
    select dimension as dimension_code, count(*) as n_subdims,
    from codes
    where code <> dimension
    group by all
),

subdims_per_dimension as (
    select d.year, d.dimension_code, coalesce(r.n_subdims, d.n_subdims) as n_subdims,
    from subdims_in_data as d
    left join subdims_in_reference as r using (dimension_code)
),

final as (
    select
        s.year,
        s.province,
        s.province_key,
        s.province_map,
        s.province_code,
        s.province_name,
        s.code,
        coalesce(c.name_vi, s.code) as name_vi,
        s.level,
        s.dimension_code,
        s.score,
        case when s.level = 'dimension' then 1 else exact_div(1, d.n_subdims) end as scale_min,
        case when s.level = 'dimension' then 10 else exact_div(10, d.n_subdims) end as scale_max,
        s.source_file,
        s.source_row,
    from scores as s
    left join subdims_per_dimension as d using (year, dimension_code)
    left join codes as c on c.code = s.code
)

select * from final
