-- One row per PAPI criterion of a plan province not (yet) met: the distance to the target and
-- to the national mean, and the rank the province would have with the target met, among the
-- other provinces' scores of the latest PAPI year up to the target year on the province's map
-- (a rank is never counted across maps). The value compared is the target year's score when
-- published, else the baseline's.
-- Reads: criterion_gaps, int_papi__plan_provinces, int_papi__scores, int_means__by_year_code,
-- plan_settings.
with open_items as (
    select * from criterion_gaps
    where index_name = 'PAPI' and status in ('missed', 'no_data') and target_value is not null
),

provinces as (
    select distinct province_map, province_code, province_name from int_papi__plan_provinces
),

compared_years as (
    select province_map, max(year) as year,
    from int_papi__scores
    where year <= (select target_year from plan_settings)
    group by province_map
),

scores as (
    select s.*,
    from int_papi__scores as s
    join compared_years as y on y.province_map = s.province_map and y.year = s.year
),

means as (
    select * from int_means__by_year_code where index_name = 'PAPI'
),

items as (
    select
        g.appendix, g.unit_code, g.criterion_code, g.criterion_name, g.level, g.owner_unit,
        g.owner_name, g.status, g.baseline_value, g.current_value, g.target_value,
        coalesce(g.current_value, g.baseline_value) as compared_value,
        p.province_map, p.province_code, y.year as compared_year,
        g.code_order,
    from open_items as g
    join provinces as p on p.province_name = g.unit_code
    left join compared_years as y on y.province_map = p.province_map
),

ranked as (
    select
        i.*,
        m.mean_value as national_mean,
        count(s.score) as n_others,
        count(s.score) filter (where s.score > i.target_value) as n_above_target,
        count(s.score) filter (where s.score > i.compared_value) as n_above_now,
    from items as i
    left join scores as s
        on s.province_map = i.province_map and s.code = i.criterion_code
        and s.province_code <> i.province_code
    left join means as m
        on m.year = i.compared_year and m.province_map = i.province_map
        and m.code = i.criterion_code
    group by all
),

final as (
    select
        r.appendix, r.unit_code, r.criterion_code, r.criterion_name, r.level, r.owner_unit,
        r.owner_name, r.status, r.baseline_value, r.current_value, r.target_value,
        r.compared_value,
        r.target_value - r.compared_value as to_target,
        r.compared_year, r.province_map,
        r.national_mean,
        r.national_mean - r.compared_value as to_mean,
        case when r.n_others > 0 then r.n_above_now + 1 end as rank_now,
        case when r.n_others > 0 then r.n_above_target + 1 end as rank_if_met,
        case when r.n_others > 0 then r.n_others + 1 end as n_ranked,
        r.code_order,
    from ranked as r
)

select
    (select plan_id from plan_settings) as plan_id,
    f.* exclude (code_order),
    'Cần tăng ' || vi_number(greatest(f.to_target, 0), null) || ' điểm để đạt '
        || vi_value('PAPI', f.target_value)
        || case when f.national_mean is not null then '; trung bình cả nước năm '
            || f.compared_year || ': ' || vi_value('PAPI', f.national_mean) else '' end
        || case when f.rank_if_met is not null then '; đạt chỉ tiêu thì xếp '
            || f.rank_if_met || '/' || f.n_ranked || ' (hiện ' || f.rank_now || '/'
            || f.n_ranked || ', bản đồ ' || f.province_map || ' tỉnh)' else '' end
        as guidance_vi,
from final as f
order by f.unit_code, f.code_order, f.criterion_code
