-- One row per index x tracked member x scope: its rank in the baseline year and in the target
-- year. PAPI: the plan's provinces, total and D1-D8, ranked from the published PAPI scores
-- (int_papi__ranks); PAR INDEX and SIPAS: the plan's province or unit as named in the results
-- extract (int_index__ranks). The plan aims for "a higher position than in the baseline year":
-- a rank not strictly better (lower) than the baseline's is missed. Ranks are computed from the
-- published scores, not taken from the official list.
-- Reads: int_papi__ranks, int_index__ranks, plan_settings, plan_provinces, plan_units,
-- plan_rank_names.
with settings as (
    select * from plan_settings
),

ranks as (
    select index_name, year, scope, member, member_key, score, rank, n_ranked,
    from int_papi__ranks
    where (select all_provinces from settings)
        or member_key in (select fold_key(province) from plan_provinces)
    union all
    select index_name, year, scope, member, member_key, score, rank, n_ranked,
    from int_index__ranks
    where member_key in (select fold_key(name) from plan_rank_names)
        or unit_code in (select unit_code from plan_units)
),

baseline as (
    select * from ranks where year = (select baseline_year from settings)
),

current as (
    select * from ranks where year = (select target_year from settings)
),

final as (
    select
        b.index_name,
        b.member,
        b.scope,
        b.year as baseline_year,
        b.score as baseline_score,
        b.rank as baseline_rank,
        b.n_ranked as baseline_n_ranked,
        (select target_year from settings) as current_year,
        c.score as current_score,
        c.rank as current_rank,
        c.n_ranked as current_n_ranked,
        case
            when c.rank is null then 'no_data'
            when c.rank < b.rank then 'met'
            else 'missed'
        end as status,
        'Xếp hạng năm ' || (select target_year from settings) || ' cao hơn năm '
            || b.year || ' (hạng ' || b.rank || '/' || b.n_ranked || ')' as rule_vi,
    from baseline as b
    left join current as c
        on c.index_name = b.index_name and c.member_key = b.member_key and c.scope = b.scope
    order by list_position(['PAR', 'SIPAS', 'PAPI'], b.index_name), b.member,
        b.scope = 'TOTAL' desc, b.scope
)

select * from final
