-- One row per assessed unit x PAR INDEX TC/TCTP of the baseline or target year: its appendix
-- (1 = at max in the baseline year: keep the max; 2 = below max: score higher), target and
-- current value. Areas are not targets. A criterion new in the target year has no appendix.
-- Reads: int_par__tree, plan_settings, plan_units.
with settings as (
    select * from plan_settings
),

tree as (
    select * from int_par__tree
    where level in ('TC', 'TCTP')
        and ((select all_units from settings) or unit_code in (select unit_code from plan_units))
),

baseline as (
    select * from tree where year = (select baseline_year from settings)
),

current as (
    select * from tree where year = (select target_year from settings)
),

paired as (
    select
        coalesce(c.unit_code, b.unit_code) as unit_code,
        coalesce(c.criterion_code, b.criterion_code) as criterion_code,
        coalesce(c.criterion_name, b.criterion_name) as criterion_name,
        coalesce(c.level, b.level) as level,
        b.criterion_code is not null as in_baseline,
        coalesce(b.not_applicable, false) as baseline_not_applicable,
        b.value as baseline_value,
        b.max_points as baseline_max,
        c.criterion_code is not null as in_current,
        coalesce(c.not_applicable, false) as current_not_applicable,
        c.value as current_value,
        c.max_points as current_max,
        c.stage as current_stage,
        b.children_value as baseline_children_value,
        c.children_value as current_children_value,
        coalesce(b.children_sum_differs, false) or coalesce(c.children_sum_differs, false)
            as children_sum_differs,
    from baseline as b
    full join current as c on c.unit_code = b.unit_code and c.criterion_code = b.criterion_code
),

classified as (
    select
        *,
        case
            when baseline_value is null then null
            when baseline_value >= baseline_max then 1
            else 2
        end as appendix,
    from paired
),

final as (
    select
        'PAR' as index_name,
        appendix,
        unit_code,
        criterion_code,
        criterion_code as code_path,
        criterion_name,
        level,
        (select baseline_year from settings) as baseline_year,
        baseline_value,
        null::bigint as baseline_n,
        coalesce(current_max, baseline_max) as max_value,
        case
            when current_not_applicable then null
            when appendix = 1 then '>='
            when appendix = 2 then '>'
        end as target_op,
        case
            when current_not_applicable then null
            when appendix = 1 then coalesce(current_max, baseline_max)
            when appendix = 2 then baseline_value
        end as target_value,
        false as target_capped,
        null::decimal(18, 6) as increase,
        null::varchar as increase_mode,
        (select target_year from settings) as current_year,
        current_value,
        current_stage,
        null::bigint as current_n,
        false as small_sample,
        current_not_applicable or (baseline_not_applicable and not in_current)
            as not_applicable,
        baseline_children_value,
        current_children_value as children_value,
        children_sum_differs,
        in_baseline,
        in_current,
    from classified
    where appendix is null
        or (appendix = 1 and (select par_keep_max from settings))
        or (appendix = 2 and (select par_beat_baseline from settings))
)

select * from final
