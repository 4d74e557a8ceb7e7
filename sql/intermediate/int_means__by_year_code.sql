-- One row per index x year x code (x province map, for PAPI): the unweighted mean over every
-- assessed unit (SIPAS) or province of one map (PAPI) in the data, kept as an exact sum and count
-- so "below the mean" is exact.
-- Reads: int_sipas__rates, int_papi__scores.
with sipas as (
    select * from int_sipas__rates
),

papi as (
    select * from int_papi__scores
),

final as (
    select
        'SIPAS' as index_name,
        year,
        null::integer as province_map,
        criterion_code as code,
        count(*) as n_members,
        sum(rate_pct) as value_sum,
        exact_div(sum(rate_pct), count(*)) as mean_value,
    from sipas
    group by all
    union all
    select
        'PAPI' as index_name,
        year,
        province_map,
        code,
        count(*) as n_members,
        sum(score) as value_sum,
        exact_div(sum(score), count(*)) as mean_value,
    from papi
    group by all
)

select * from final
