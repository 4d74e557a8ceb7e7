-- One row per plan unit x index (PAR, SIPAS) x unit its baseline comes from, where the plan
-- says so (baseline_from: a unit formed in the 2025 reorganisation takes its baseline from its
-- predecessors); a unit the plan says nothing of takes its own baseline-year results and has no
-- row here. One predecessor: kind predecessor; several: combined (PAR: a weighted mean of
-- shares of the maximum; SIPAS: pooled answers, int_par__targets and int_sipas__targets).
-- Reads: plan_unit_baseline, ref_units.
with declared as (
    select * from plan_unit_baseline
),

register as (
    select * from ref_units
),

named as (
    select d.*, coalesce(r.name, d.predecessor) as from_name,
        count(*) over (partition by d.unit_code, d.index_name) as n_sources,
    from declared as d
    left join register as r on r.code = d.predecessor
),

final as (
    select
        index_name,
        unit_code,
        predecessor as from_unit,
        from_name,
        weight,
        case when n_sources = 1 then 'predecessor' else 'combined' end as baseline_kind,
        -- the baseline's origin as documents say it
        case
            when n_sources = 1 then from_name || ' (đơn vị tiền thân)'
            when index_name = 'SIPAS' then 'gộp phiếu của '
                || string_agg(from_name, ', ' order by from_name)
                    over (partition by unit_code, index_name)
            else 'bình quân có trọng số tỷ lệ điểm/điểm tối đa của '
                || string_agg(from_name || ' × ' || vi_number(weight, null), ', '
                    order by weight desc, from_name) over (partition by unit_code, index_name)
        end as baseline_from,
    from named
)

select * from final
