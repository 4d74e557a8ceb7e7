-- One row per tracked province x PAPI scope (total, D1-D8): its rank in the baseline year and
-- in the target year. The plan aims for "a higher position than in the baseline year": a rank
-- not strictly better (lower) than the baseline's is missed. Ranks are computed from the
-- published scores (int_papi__ranks), not taken from the official list.
-- Reads: int_papi__ranks, plan_settings, plan_provinces.
with settings as (
    select * from plan_settings
),

ranks as (
    select * from int_papi__ranks
    where (select all_provinces from settings)
        or member_key in (select fold_key(province) from plan_provinces)
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
    left join current as c on c.member_key = b.member_key and c.scope = b.scope
    order by b.member, b.scope = 'TOTAL' desc, b.scope
)

select * from final
