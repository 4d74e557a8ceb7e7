-- One row per criterion the report lists (rpt_worst) whose years on the data say more than its
-- baseline and current columns: a third year, an old code, or a predecessor's score. trend_vi is
-- the criterion across every year (criterion_trend), under its code now: "2022: 1,5 điểm
-- (mã 1.5) · 2023: 2,0 điểm · 2024: 1,2 điểm"; a predecessor's score names it, a score out of
-- another maximum says so; the 5 latest years, earlier ones named as a range. Reads: criterion_trend, rpt_worst, plan_settings.
with trend as (
    select * from criterion_trend
    where plan_id = (select plan_id from plan_settings)
),

shown as (
    select index_name, appendix, unit_code, criterion_code, max_value from rpt_worst
),

years as (
    -- the page shows the latest 5 years; the XLSX every year
    select t.*, dense_rank() over (
            partition by t.index_name, t.unit_code, t.criterion_code order by t.year desc
        ) as recent,
    from trend as t
),

final as (
    select
        s.index_name, s.appendix, s.unit_code, s.criterion_code,
        count(distinct t.year) as n_years,
        min(t.year) as first_year,
        case when max(t.recent) > 5 then min(t.year) || '–' || max(t.year) - 5 || ': xem bảng'
            || ' Qua các năm (XLSX) · ' else '' end
        || string_agg(
            t.year || ': ' || vi_value(t.index_name, t.value)
                || case when t.index_name <> 'SIPAS' and t.max_value <> s.max_value
                    then ' trên ' || vi_number(t.max_value, null) else '' end
                || case when t.scored_unit <> t.unit_code then ' (' || t.scored_unit || ')'
                    else '' end
                || case when t.old_codes is not null then ' (mã ' || t.old_codes || ')'
                    else '' end,
            ' · ' order by t.year, t.scored_unit) filter (where t.recent <= 5) as trend_vi,
    from shown as s
    join years as t
        on t.index_name = s.index_name and t.unit_code = s.unit_code
        and t.criterion_code = s.criterion_code
    group by all
    having count(distinct t.year) > 2 or bool_or(t.old_codes is not null)
        or bool_or(t.scored_unit <> t.unit_code)
    order by s.index_name, s.unit_code, s.criterion_code, s.appendix
)

select * from final
