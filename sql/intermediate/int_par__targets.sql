-- One row per assessed unit x PAR INDEX TC/TCTP of the baseline or target year: its appendix
-- (1 = at max in the baseline year: keep the max; 2 = below max: score higher), target and
-- current value. Areas are not targets. A criterion new in the target year has no appendix.
-- A unit whose baseline the plan takes from other units (int_units__baseline_sources) gets, per
-- criterion, the weighted mean of their shares of the maximum, over those that scored it, times
-- its own maximum (the target year's; else theirs), rounded half up to 6 places (weighted_share);
-- it is Phụ lục 1 iff that baseline equals the maximum.
-- The baseline is first mapped through the plan's criteria crosswalk (int_par__crosswalk) onto
-- the target year's edition: a code it does not name keeps its code; same and renumbered keep
-- the score; max_changed keeps the score (changed_max: points) or its share of the maximum
-- times the new maximum (share); split gives each part the old share; merged gives the new
-- criterion the parts' pooled share (pooled) or their mean share (mean); retired keeps its old
-- code, with no target (status retired). Shares times a maximum round half up to 6 places.
-- Each baseline unit goes through its own crosswalk when the plan names one for it (a
-- predecessor on its province's framework), else through the plan's file for every unit.
-- Reads: int_par__tree, int_par__crosswalk, int_units__baseline_sources, plan_settings,
-- plan_units.
with settings as (
    select * from plan_settings
),

criteria as (
    select * from int_par__tree where level in ('TC', 'TCTP')
),

sources as (
    select * from int_units__baseline_sources where index_name = 'PAR'
),

crosswalk as (
    select * from int_par__crosswalk
),

tree as (
    select * from criteria
    where (select all_units from settings) or unit_code in (select unit_code from plan_units)
),

baseline_rows as (
    -- the baseline year's scores, in the baseline edition: the plan's units' own, and those of
    -- the units their baseline comes from
    select unit_code, criterion_code, criterion_name, not_applicable, value, max_points,
        children_value, children_sum_differs,
    from tree
    where year = (select baseline_year from settings)
        and unit_code not in (select unit_code from sources)
    union all
    select unit_code, criterion_code, criterion_name, not_applicable, value, max_points,
        children_value, children_sum_differs,
    from criteria
    where year = (select baseline_year from settings)
        and unit_code in (select from_unit from sources)
),

unit_crosswalk as (
    -- each baseline unit's crosswalk rows: its own file, else the file for every other unit
    select u.unit_code, x.* exclude (unit_code),
    from (select distinct unit_code from baseline_rows) as u
    join crosswalk as x
        on x.unit_code = u.unit_code
        or (x.unit_code is null
            and u.unit_code not in (
                select unit_code from crosswalk where unit_code is not null))
),

kept as (
    -- codes the crosswalk does not name, and those it names same or renumbered or (compared
    -- in points) max_changed: the score as it was, under the new code
    select
        b.unit_code,
        coalesce(x.new_code, b.criterion_code) as criterion_code,
        b.criterion_name, b.not_applicable, b.value, b.max_points,
        coalesce(x.new_max, b.max_points) as edition_max,
        b.children_value, b.children_sum_differs,
        case when x.old_code <> x.new_code then b.criterion_code end as baseline_code,
        x.kind as change_kind,
        b.max_points as old_max,
        false as retired,
    from baseline_rows as b
    left join unit_crosswalk as x
        on x.unit_code = b.unit_code and x.old_code = b.criterion_code
    where x.kind is null or x.kind in ('same', 'renumbered')
        or (x.kind = 'max_changed' and (select par_changed_max from settings) = 'points')
),

rescaled as (
    -- max_changed compared in shares, and each part of a split: the old share of the maximum
    -- times the new maximum
    select
        b.unit_code,
        x.new_code as criterion_code,
        b.criterion_name, b.not_applicable,
        case when b.value is not null and b.max_points > 0 then weighted_share(
            scaled_int(1, 6) * share_e14(b.value, b.max_points), scaled_int(1, 6), x.new_max
        ) end as value,
        x.new_max as max_points,
        x.new_max as edition_max,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        b.criterion_code as baseline_code,
        x.kind as change_kind,
        b.max_points as old_max,
        false as retired,
    from baseline_rows as b
    join unit_crosswalk as x on x.unit_code = b.unit_code and x.old_code = b.criterion_code
    where x.kind = 'split'
        or (x.kind = 'max_changed' and (select par_changed_max from settings) = 'share')
),

merged as (
    -- several old criteria into one: their pooled share (points over maxima) or their mean
    -- share, over the parts that were scored, times the new maximum
    select
        b.unit_code,
        x.new_code as criterion_code,
        null::varchar as criterion_name,
        bool_and(b.not_applicable) as not_applicable,
        case when bool_or(b.value is not null and b.max_points > 0) then
            case any_value(x.rule)
                when 'mean' then weighted_share(
                    sum(scaled_int(1, 6) * share_e14(b.value, b.max_points))
                        filter (b.value is not null and b.max_points > 0),
                    sum(scaled_int(1, 6)) filter (b.value is not null and b.max_points > 0),
                    any_value(x.new_max))
                else weighted_share(
                    scaled_int(1, 6) * share_e14(
                        sum(b.value) filter (b.value is not null and b.max_points > 0),
                        sum(b.max_points) filter (b.value is not null and b.max_points > 0)),
                    scaled_int(1, 6), any_value(x.new_max))
            end
        end as value,
        any_value(x.new_max) as max_points,
        any_value(x.new_max) as edition_max,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        string_agg(b.criterion_code, ', ' order by b.criterion_code) as baseline_code,
        'merged' as change_kind,
        any_value(x.rule) as merge_rule,
        false as retired,
    from baseline_rows as b
    join unit_crosswalk as x
        on x.unit_code = b.unit_code and x.old_code = b.criterion_code and x.kind = 'merged'
    group by b.unit_code, x.new_code
),

retired as (
    select
        b.unit_code, b.criterion_code, b.criterion_name, b.not_applicable, b.value,
        b.max_points, b.max_points as edition_max, b.children_value, b.children_sum_differs,
        null::varchar as baseline_code,
        'retired' as change_kind,
        true as retired,
    from baseline_rows as b
    join unit_crosswalk as x
        on x.unit_code = b.unit_code and x.old_code = b.criterion_code and x.kind = 'retired'
),

mapped as (
    select *,
        case len(string_split(criterion_code, '.'))
            when 1 then 'area' when 2 then 'TC' else 'TCTP'
        end as level,
    from (
        select * from kept
        union all by name
        select * from rescaled
        union all by name
        select * from merged
        union all by name
        select * from retired
    )
    where criterion_code like '%.%'
),

own_baseline as (
    select unit_code, criterion_code, criterion_name, level, not_applicable, value, max_points,
        edition_max, children_value, children_sum_differs, baseline_code, change_kind, old_max,
        merge_rule, retired,
        null::varchar as baseline_from,
    from mapped
    -- the plan's units that take their own baseline (not the predecessors read for others)
    where unit_code in (select unit_code from tree)
        and unit_code not in (select unit_code from sources)
),

from_sources as (
    select s.unit_code, s.weight, s.baseline_from, c.criterion_code, c.criterion_name, c.level,
        c.not_applicable, c.value, c.max_points, c.edition_max, c.baseline_code, c.change_kind,
        c.old_max, c.merge_rule, c.retired,
        -- a predecessor's retired criterion is no part of a criterion of the new edition
        c.value is not null and c.max_points > 0 and not c.retired as scored,
    from sources as s
    join mapped as c on c.unit_code = s.from_unit
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
        coalesce(any_value(m.max_points), max(f.edition_max)) as edition_max,
        case when bool_or(f.scored) then weighted_share(
            sum(scaled_int(f.weight, 6) * share_e14(f.value, f.max_points)) filter (f.scored),
            sum(scaled_int(f.weight, 6)) filter (f.scored),
            coalesce(any_value(m.max_points), max(f.max_points))
        ) end as value,
        null::decimal(20, 8) as children_value,
        false as children_sum_differs,
        any_value(f.baseline_code) as baseline_code,
        any_value(f.change_kind) as change_kind,
        any_value(f.old_max) as old_max,
        any_value(f.merge_rule) as merge_rule,
        bool_and(f.retired) as retired,
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
        b.edition_max as baseline_edition_max,
        b.baseline_code,
        b.change_kind,
        b.old_max as baseline_max_old,
        b.merge_rule,
        coalesce(b.retired, false) as retired,
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
        coalesce(current_max, baseline_edition_max, baseline_max) as max_value,
        case
            when retired or current_not_applicable then null
            when appendix = 1 then '>='
            when appendix = 2 then '>'
        end as target_op,
        case
            when retired or current_not_applicable then null
            when appendix = 1 then coalesce(current_max, baseline_edition_max, baseline_max)
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
        baseline_code,
        change_kind,
        retired,
        -- how the crosswalk carried the baseline over, as the rule text says it
        case change_kind
            when 'renumbered' then 'mã năm ' || (select baseline_year from settings) || ': '
                || baseline_code
            when 'max_changed' then 'điểm tối đa năm ' || (select baseline_year from settings)
                || ': ' || vi_num(baseline_max_old, 4) || case
                    when (select par_changed_max from settings) = 'share'
                        then ', quy đổi theo tỷ lệ điểm/điểm tối đa' else ', so sánh theo điểm'
                end
            when 'split' then 'tách từ tiêu chí ' || baseline_code || ' năm '
                || (select baseline_year from settings) || ', theo tỷ lệ điểm/điểm tối đa'
            when 'merged' then 'gộp từ các tiêu chí ' || baseline_code || ' năm '
                || (select baseline_year from settings) || case
                    when merge_rule = 'mean' then ', bình quân tỷ lệ điểm/điểm tối đa'
                    else ', tổng điểm/tổng điểm tối đa' end
        end as edition_vi,
    from classified
    where appendix is null
        or (appendix = 1 and (select par_keep_max from settings))
        or (appendix = 2 and (select par_beat_baseline from settings))
)

select * from final
