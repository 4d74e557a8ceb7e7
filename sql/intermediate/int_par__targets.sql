-- One row per assessed unit x PAR INDEX TC/TCTP of the baseline or target year: its appendix
-- (1 = at max in the baseline year: keep the max; 2 = below max: score higher), target and
-- current value. Areas are not targets. A criterion new in the target year has no appendix.
-- A unit whose baseline the plan takes from other units (int_units__baseline_sources) gets, per
-- criterion, the weighted mean of their shares of the maximum, over those that scored it, times
-- its own maximum (the target year's; else theirs), rounded half up to 6 places (weighted_share);
-- it is Phụ lục 1 iff that baseline equals the maximum.
-- Reads: int_par__tree, int_units__baseline_sources, plan_settings, plan_units.
with settings as (
    select * from plan_settings
),

criteria as (
    select * from int_par__tree where level in ('TC', 'TCTP')
),

sources as (
    select * from int_units__baseline_sources where index_name = 'PAR'
),

tree as (
    select * from criteria
    where (select all_units from settings) or unit_code in (select unit_code from plan_units)
),

own_baseline as (
    select unit_code, criterion_code, criterion_name, level, not_applicable, value, max_points,
        children_value, children_sum_differs, null::varchar as baseline_from,
    from tree
    where year = (select baseline_year from settings)
        and unit_code not in (select unit_code from sources)
),

from_sources as (
    select s.unit_code, s.weight, s.baseline_from, c.criterion_code, c.criterion_name, c.level,
        c.not_applicable, c.value, c.max_points,
        c.value is not null and c.max_points > 0 as scored,
    from sources as s
    join criteria as c
        on c.unit_code = s.from_unit and c.year = (select baseline_year from settings)
),

target_max as (
    select unit_code, criterion_code, max_points,
    from tree
    where year = (select target_year from settings)
),

combined_baseline as (
    select
        f.unit_code,
        f.criterion_code,
        any_value(f.criterion_name) as criterion_name,
        any_value(f.level) as level,
        bool_and(f.not_applicable) as not_applicable,
        coalesce(any_value(m.max_points), max(f.max_points)) as max_points,
        case when bool_or(f.scored) then weighted_share(
            sum(scaled_int(f.weight, 6) * share_e14(f.value, f.max_points)) filter (f.scored),
            sum(scaled_int(f.weight, 6)) filter (f.scored),
            coalesce(any_value(m.max_points), max(f.max_points))
        ) end as value,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        any_value(f.baseline_from) as baseline_from,
    from from_sources as f
    left join target_max as m
        on m.unit_code = f.unit_code and m.criterion_code = f.criterion_code
    group by f.unit_code, f.criterion_code
),

baseline as (
    select * from own_baseline
    union all by name
    select * from combined_baseline
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
        b.baseline_from,
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
        baseline_from,
    from classified
    where appendix is null
        or (appendix = 1 and (select par_keep_max from settings))
        or (appendix = 2 and (select par_beat_baseline from settings))
)

select * from final
