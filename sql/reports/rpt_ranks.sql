-- One row per rank target (rank_targets) as documents show it: "22/61" in the baseline and
-- target years, missed ones first within an index. Reads: rank_targets.
with ranks as (
    select * from rank_targets
),

final as (
    select
        *,
        baseline_rank || '/' || baseline_n_ranked as baseline_rank_text,
        case when current_rank is not null then current_rank || '/' || current_n_ranked
            else '–' end as current_rank_text,
    from ranks
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), member,
        scope = 'TOTAL' desc, scope
)

select * from final
