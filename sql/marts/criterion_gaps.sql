-- One row per criterion per appendix: baseline, target, current value, gap and status, with its
-- owner and the rule in Vietnamese. What people, checks, emails and reports read.
-- A PAR criterion carries its evidence readiness (int_par__evidence) in the target year.
-- Reads: int_targets__unioned, int_criteria__owners, plan_owner_units, int_par__evidence.
with targets as (
    select * from int_targets__unioned
),

evidence as (
    select * from int_par__evidence
),

owners as (
    select * from int_criteria__owners
),

owner_units as (
    select * from plan_owner_units
),

statused as (
    select
        t.*,
        o.owner_unit,
        u.name as owner_name,
        t.current_value - t.target_value as gap,
        e.evidence_status,
        coalesce(e.evidence_missing, false) as evidence_missing,
        case
            when coalesce(t.retired, false) then 'retired'
            when t.not_applicable then 'not_applicable'
            when t.appendix is null or t.target_value is null then 'no_data'
            when t.current_value is null then 'no_data'
            when (t.target_op = '>=' and t.current_value >= t.target_value)
                or (t.target_op = '>' and t.current_value > t.target_value) then 'met'
            when t.current_stage in ('self_assessed', 'interim') then 'at_risk'
            else 'missed'
        end as status,
    from targets as t
    left join owners as o using (index_name, criterion_code)
    left join owner_units as u using (owner_unit)
    left join evidence as e
        on t.index_name = 'PAR' and e.unit_code = t.unit_code
        and e.criterion_code = t.criterion_code and e.year = t.current_year
),

rules as (
    -- the rule text depends on these alone: tens of thousands of criteria share a few
    -- thousand rules, so each text is written once
    select distinct
        not_applicable, appendix, in_baseline, baseline_year, current_year, target_value,
        baseline_value, increase_mode, increase, target_capped, max_value, baseline_from,
        status = 'retired' as retired, edition_vi,
    from statused
),

rule_texts as (
    select
        *,
        case
            when retired then 'Không còn đánh giá từ năm ' || current_year
                || ' (bộ tiêu chí mới không có tiêu chí này)'
            when not_applicable then 'Không áp dụng'
            when appendix is null and in_baseline then 'Năm ' || baseline_year
                || ' không có điểm (không áp dụng), chưa có mục tiêu'
            when appendix is null then 'Tiêu chí mới năm ' || current_year || ', chưa có mục tiêu'
            when appendix = 1 then 'Giữ điểm tối đa ' || vi_num(target_value, 4)
                || coalesce(' (' || edition_vi || ')', '')
            when appendix = 2 then 'Đạt điểm cao hơn năm ' || baseline_year
                || ' (' || vi_num(baseline_value, 4) || coalesce('; ' || edition_vi, '') || ')'
            when appendix = 3 then 'Tỷ lệ hài lòng tối thiểu ' || vi_num(target_value, 2) || '% (năm '
                || baseline_year || ': ' || vi_num(baseline_value, 2) || '%'
                || case when increase_mode = 'relative' then ' × ' || vi_num(1 + increase * 0.01, 4)
                    else ' + ' || vi_num(increase, 2) || ' điểm %' end
                || case when target_capped then '; giới hạn ở 100%' else '' end || ')'
            when appendix = 4 then 'Điểm tối thiểu ' || vi_num(target_value, 4) || ' (năm '
                || baseline_year || ': ' || vi_num(baseline_value, 4) || ' + '
                || vi_num(increase, 4)
                || case when target_capped then '; giới hạn ở điểm tối đa '
                    || vi_num(max_value, 4) else '' end
                || case when baseline_from is not null then '; cơ sở: ' || baseline_from
                    else '' end || ')'
        end as rule_vi,
        -- the target as the plan's appendix (Phụ lục) states it; (*): capped
        case
            when not_applicable or target_value is null then null
            when appendix = 1 then 'Duy trì điểm tối đa (' || vi_number(target_value, null)
                || ' điểm)'
            when appendix = 2 then 'Cao hơn năm ' || baseline_year
            when appendix = 3 then vi_number(target_value, 2)
                || case when target_capped then ' (*)' else '' end
            when appendix = 4 then vi_number(target_value, null)
                || case when target_capped then ' (*)' else '' end
        end as target_vi,
    from rules
),

described as (
    select s.*, r.rule_vi, r.target_vi,
    from statused as s
    left join rule_texts as r
        on r.not_applicable is not distinct from s.not_applicable
        and r.appendix is not distinct from s.appendix
        and r.in_baseline is not distinct from s.in_baseline
        and r.baseline_year is not distinct from s.baseline_year
        and r.current_year is not distinct from s.current_year
        and r.target_value is not distinct from s.target_value
        and r.baseline_value is not distinct from s.baseline_value
        and r.increase_mode is not distinct from s.increase_mode
        and r.increase is not distinct from s.increase
        and r.target_capped is not distinct from s.target_capped
        and r.max_value is not distinct from s.max_value
        and r.baseline_from is not distinct from s.baseline_from
        and r.retired = (s.status = 'retired')
        and r.edition_vi is not distinct from s.edition_vi
),

final as (
    select
        index_name,
        appendix,
        unit_code,
        criterion_code,
        criterion_name,
        level,
        owner_unit,
        owner_name,
        baseline_year,
        baseline_value,
        baseline_n,
        baseline_from,
        baseline_code,
        change_kind,
        max_value,
        target_op,
        target_value,
        target_capped,
        current_year,
        current_value,
        current_n,
        current_stage,
        baseline_children_value,
        children_value,
        children_sum_differs,
        gap,
        status,
        evidence_status,
        evidence_missing,
        small_sample,
        rule_vi,
        target_vi,
        -- the sort keys every list uses (the worst-first order: sql/reports/_criteria.sql.j2)
        list_position(['PAR', 'SIPAS', 'PAPI'], index_name) as index_order,
        try_cast(string_split(replace(criterion_code, 'D', ''), '.')
            as integer[]) as code_order,
        gap / nullif(max_value, 0) as relative_gap,
    from described
    order by index_order, appendix nulls last, unit_code, code_order, criterion_code
)

select (select plan_id from plan_settings) as plan_id, * from final
