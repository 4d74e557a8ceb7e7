-- One row per PAR criterion a unit is scored on directly (a sub-criterion, or a criterion
-- without any) whose current score is below its maximum: the points still available, largest
-- first; for one at risk, the points its recovery to the target brings. Per unit, from the
-- latest PAR INDEX ranking published up to the target year (int_index__ranks): the unit just
-- above, the points needed to overtake it ((its score - the unit's) x the unit's maximum / 100:
-- results are in %), and the smallest set of at-risk criteria whose recovery brings more than
-- that: the largest recoveries first (fewest criteria), until the sum passes it.
-- Reads: criterion_gaps, int_index__ranks, plan_rank_names, plan_units, plan_settings.
with par as (
    select * from criterion_gaps
    where index_name = 'PAR' and status <> 'not_applicable' and max_value is not null
),

-- the criteria that have sub-criteria (an equality join: a prefix match cost 0,8 s national)
parents as (
    select distinct unit_code, regexp_replace(criterion_code, '\.[^.]+$', '') as criterion_code,
    from par
    where level = 'TCTP'
),

leaves as (
    select p.*,
    from par as p
    anti join parents as c on c.unit_code = p.unit_code and c.criterion_code = p.criterion_code
),

totals as (
    select unit_code, sum(max_value) as total_max,
    from leaves
    group by unit_code
),

available as (
    select
        l.*,
        l.max_value - l.current_value as points_available,
        case when l.status = 'at_risk' and l.target_value > l.current_value
            then l.target_value - l.current_value end as recovery_points,
    from leaves as l
    where l.current_value is not null and l.current_value < l.max_value
),

latest as (
    select * from int_index__ranks
    where index_name = 'PAR' and year = (
        select max(year) from int_index__ranks
        where index_name = 'PAR' and year <= (select target_year from plan_settings)
    )
),

-- the plan's units in that ranking: by the code the results give, else by a name the plan
-- gives; a name-only match says which unit when the plan scores one unit
own as (
    select
        coalesce(r.unit_code, (
            select min(unit_code) from par having count(distinct unit_code) = 1
        )) as unit_code,
        r.year as ranking_year, r.member, r.score, r.rank, r.n_ranked,
    from latest as r
    where r.member_key in (select fold_key(name) from plan_rank_names)
        or r.unit_code in (select unit_code from plan_units)
    qualify count(*) over (partition by coalesce(r.unit_code, '')) = 1
),

next_up as (
    select o.*, a.member as next_member, a.score as next_score,
    from own as o
    left join latest as a on a.score > o.score
    qualify row_number() over (partition by o.unit_code order by a.score nulls last, a.member) = 1
),

overtake as (
    select
        n.*,
        -- scores are published with few decimals: rounded off the float they are stored as
        round((n.next_score - n.score) * t.total_max / 100, 6)::decimal(20, 6)
            as points_to_overtake,
    from next_up as n
    join totals as t on t.unit_code = n.unit_code
),

recoveries as (
    select
        a.unit_code, a.appendix, a.criterion_code,
        sum(a.recovery_points) over (
            partition by a.unit_code order by a.recovery_points desc, a.code_order, a.criterion_code
            rows between unbounded preceding and current row
        ) as recovery_cumulative,
        sum(a.recovery_points) over (partition by a.unit_code) as recovery_total,
    from available as a
    where a.recovery_points is not null
),

final as (
    select
        a.appendix, a.unit_code, a.criterion_code, a.criterion_name, a.level, a.owner_unit,
        a.owner_name, a.status, a.current_stage, a.max_value, a.current_value, a.target_value,
        a.points_available,
        row_number() over (
            partition by a.unit_code order by a.points_available desc, a.code_order,
                a.criterion_code
        ) as available_order,
        a.recovery_points,
        o.ranking_year, o.member, o.score, o.rank, o.n_ranked, o.next_member, o.next_score,
        o.points_to_overtake,
        r.recovery_total > o.points_to_overtake as overtake_reachable,
        coalesce(r.recovery_total > o.points_to_overtake
            and r.recovery_cumulative - a.recovery_points <= o.points_to_overtake, false)
            as in_overtake_set,
        a.code_order,
    from available as a
    left join overtake as o on o.unit_code = a.unit_code
    left join recoveries as r
        on r.unit_code = a.unit_code and r.criterion_code = a.criterion_code
        and r.appendix is not distinct from a.appendix
)

select
    (select plan_id from plan_settings) as plan_id,
    f.* exclude (code_order),
    -- in words for the criteria documents list (off track): 0,35 s for every row, national
    case when f.status not in ('missed', 'at_risk') then null
    when f.recovery_points is not null
        then 'Cần thêm ' || vi_value('PAR', f.recovery_points) || ' để đạt chỉ tiêu; còn '
            || vi_value('PAR', f.points_available) || ' có thể đạt'
            || case when f.in_overtake_set then '; thuộc nhóm ít tiêu chí nhất đủ để vượt '
                || f.next_member || ' (cần hơn ' || vi_value('PAR', f.points_to_overtake)
                || ', xếp hạng ' || f.ranking_year || ')' else '' end
    else 'Còn ' || vi_value('PAR', f.points_available) || ' có thể đạt'
    end as guidance_vi,
from final as f
order by f.unit_code, f.available_order
