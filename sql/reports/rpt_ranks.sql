-- One row per rank target (rank_targets) as documents show it: "22/61" in the baseline and
-- target years, with the PAPI map ("22/61 (bản đồ 63 tỉnh)"), for the plan being run.
-- Reads: rank_targets, plan_settings.
with ranks as (
    select * exclude (plan_id) from rank_targets
    where plan_id = (select plan_id from plan_settings)
),

final as (
    select
        *,
        baseline_rank || '/' || baseline_n_ranked
            || case when baseline_map is not null then ' (bản đồ ' || baseline_map || ' tỉnh)'
                else '' end as baseline_rank_text,
        -- the target year's map is named when it is not the baseline's
        case when current_rank is not null then current_rank || '/' || current_n_ranked
            || case when current_map is distinct from baseline_map
                then ' (bản đồ ' || current_map || ' tỉnh)' else '' end
            else '–' end as current_rank_text,
    from ranks
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), member,
        scope = 'TOTAL' desc, scope
)

select * from final
