-- One row per index x tracked member x scope: its rank in the baseline year and in the target
-- year. PAPI: the plan's provinces (int_papi__plan_provinces), total and D1-D8, ranked from the
-- published PAPI scores within their map (int_papi__ranks); PAR INDEX and SIPAS: the plan's
-- province or unit as named in the results extract (int_index__ranks). The plan aims for "a
-- higher position than in the baseline year": a rank not strictly better (lower) than the
-- baseline's is missed. When the two years rank on different maps (63 provinces, then 34), the
-- ranks are compared as percentile ranks, (n_ranked - rank) / (n_ranked - 1) (1 = first,
-- 0 = last; data/README.md), never a rank out of 61 against one out of 34. A PAPI province whose
-- baseline comes from predecessors takes the baseline rank of the one with the largest weight.
-- Ranks are computed from the published scores, not taken from the official list.
-- Reads: int_papi__ranks, int_papi__plan_provinces, int_index__ranks, plan_settings, plan_units,
-- plan_rank_names.
with settings as (
    select * from plan_settings
),

papi_ranks as (
    select * from int_papi__ranks
),

tracked as (
    select * from int_papi__plan_provinces where baseline_kind <> 'none'
),

index_ranks as (
    select index_name, year, null::integer as province_map, scope, member, member_key, score,
        rank, n_ranked,
    from int_index__ranks
    where member_key in (select fold_key(name) from plan_rank_names)
        or unit_code in (select unit_code from plan_units)
),

-- the predecessor a province's baseline rank is taken from: its own, or its heaviest
papi_baseline_source as (
    select *,
    from tracked
    qualify row_number() over (
        partition by province_map, province_code order by weight desc, from_name
    ) = 1
),

papi_pairs as (
    select
        'PAPI' as index_name,
        t.province_name as member,
        b.scope,
        b.year as baseline_year,
        b.province_map as baseline_map,
        b.score as baseline_score,
        b.rank as baseline_rank,
        b.n_ranked as baseline_n_ranked,
        t.province_map as current_map,
        c.score as current_score,
        c.rank as current_rank,
        c.n_ranked as current_n_ranked,
        t.baseline_from,
    from papi_baseline_source as t
    join papi_ranks as b
        on b.province_map = t.from_map and b.province_code = t.from_code
        and b.year = (select baseline_year from settings)
    left join papi_ranks as c
        on c.province_map = t.province_map and c.province_code = t.province_code
        and c.scope = b.scope and c.year = (select target_year from settings)
),

index_pairs as (
    select
        b.index_name,
        b.member,
        b.scope,
        b.year as baseline_year,
        null::integer as baseline_map,
        b.score as baseline_score,
        b.rank as baseline_rank,
        b.n_ranked as baseline_n_ranked,
        null::integer as current_map,
        c.score as current_score,
        c.rank as current_rank,
        c.n_ranked as current_n_ranked,
        null::varchar as baseline_from,
    from index_ranks as b
    left join index_ranks as c
        on c.index_name = b.index_name and c.member_key = b.member_key and c.scope = b.scope
        and c.year = (select target_year from settings)
    where b.year = (select baseline_year from settings)
),

pairs as (
    select * from papi_pairs
    union all
    select * from index_pairs
),

compared as (
    select
        *,
        baseline_map is distinct from current_map as across_maps,
        case when baseline_n_ranked = 1 then 1
            else exact_div(baseline_n_ranked - baseline_rank, baseline_n_ranked - 1) end
            as baseline_percentile,
        case when current_rank is null then null when current_n_ranked = 1 then 1
            else exact_div(current_n_ranked - current_rank, current_n_ranked - 1) end
            as current_percentile,
    from pairs
),

final as (
    select
        index_name,
        member,
        scope,
        baseline_year,
        baseline_map,
        baseline_score,
        baseline_rank,
        baseline_n_ranked,
        baseline_percentile,
        (select target_year from settings) as current_year,
        current_map,
        current_score,
        current_rank,
        current_n_ranked,
        current_percentile,
        case when across_maps then 'percentile' else 'rank' end as compared_by,
        baseline_from,
        case
            when current_rank is null then 'no_data'
            when across_maps and current_percentile > baseline_percentile then 'met'
            when not across_maps and current_rank < baseline_rank then 'met'
            else 'missed'
        end as status,
        'Xếp hạng năm ' || (select target_year from settings) || ' cao hơn năm '
            || baseline_year || ' (hạng ' || baseline_rank || '/' || baseline_n_ranked
            || case when baseline_map is not null
                then ', bản đồ ' || baseline_map || ' tỉnh' else '' end
            || case when across_maps then '; so theo thứ hạng phần trăm: '
                || vi_number(100 * baseline_percentile, 2) || '%' else '' end
            || case when baseline_from is not null then '; cơ sở: ' || baseline_from
                else '' end
            || ')' as rule_vi,
    from compared
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), member,
        scope = 'TOTAL' desc, scope
)

select (select plan_id from plan_settings) as plan_id, * from final
