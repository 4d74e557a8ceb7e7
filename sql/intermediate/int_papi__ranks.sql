-- One row per year x province map x scope (the PAPI total, or one dimension D1-D8) x province:
-- its score and its rank among the provinces of that map in the data (1 = best; ties share a
-- rank; a 63-province year and a 34-province recomputation are ranked apart). Computed from the
-- published scores, not the official ranking list. The total counts only provinces that have
-- every dimension scored that year.
-- Reads: int_papi__scores.
with dimensions as (
    select * from int_papi__scores where level = 'dimension'
),

dimensions_per_year as (
    select year, province_map, count(distinct code) as n_dimensions,
    from dimensions
    group by all
),

totals as (
    select d.year, d.province_map, d.province_code, d.province, d.province_key,
        'TOTAL' as scope, sum(d.score) as score,
    from dimensions as d
    join dimensions_per_year as y using (year, province_map)
    group by d.year, d.province_map, d.province_code, d.province, d.province_key, y.n_dimensions
    having count(*) = y.n_dimensions
),

scored as (
    select year, province_map, province_code, province, province_key, code as scope, score,
    from dimensions
    union all
    select year, province_map, province_code, province, province_key, scope, score,
    from totals
),

final as (
    select
        'PAPI' as index_name,
        year,
        province_map,
        province_code,
        scope,
        province as member,
        province_key as member_key,
        score,
        rank() over (partition by year, province_map, scope order by score desc) as rank,
        count(*) over (partition by year, province_map, scope) as n_ranked,
    from scored
)

select * from final
