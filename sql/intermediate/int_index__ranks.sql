-- One row per year x index (PAR INDEX, SIPAS) x province or unit in the index results extract:
-- its score and its rank among all those listed for that index and year (1 = best; ties share
-- a rank). Computed from the published scores in the extract, not taken from an official list.
-- One results extract per ranking: provinces and units are not mixed in one index and year.
-- Reads: stg_index__results.
with results as (
    select * from stg_index__results where index_name in ('PAR', 'SIPAS') and score is not null
),

final as (
    select
        index_name,
        year,
        'TOTAL' as scope,
        name as member,
        name_key as member_key,
        unit_code,
        score,
        rank() over (partition by index_name, year order by score desc) as rank,
        count(*) over (partition by index_name, year) as n_ranked,
    from results
)

select * from final
