-- One row per assessed unit x year x PAR INDEX criterion (area, TC, TCTP): the tree with each
-- node's value and stage, and the sums of its children. A node's stated score is what is
-- judged (appraisal publishes the score sheet's stated values); children_sum_differs marks a
-- node whose self-assessed or appraised score differs from its children's sum of that stage,
-- compared where the node and all its children have a score of that stage ("Không áp dụng"
-- is not one).
-- Reads: stg_par__scores.
with scores as (
    select * from stg_par__scores
),

children as (
    select
        unit_code,
        year,
        parent_code as criterion_code,
        count(*) as n_children,
        sum(max_points) as children_max_points,
        count(self_score) as n_self,
        count(appraised_score) as n_appraised,
        sum(coalesce(self_score, 0))::decimal(20, 8) as children_self,
        sum(coalesce(appraised_score, 0))::decimal(20, 8) as children_appraised,
    from scores
    where parent_code is not null
    group by all
),

final as (
    select
        s.unit_code,
        s.year,
        s.criterion_code,
        s.criterion_name,
        s.level,
        s.parent_code,
        s.max_points,
        s.self_score,
        s.appraised_score,
        s.not_applicable,
        s.evidence,
        case when not s.not_applicable then coalesce(s.appraised_score, s.self_score) end as value,
        case
            when s.not_applicable then null
            when s.appraised_score is not null then 'appraised'
            when s.self_score is not null then 'self_assessed'
        end as stage,
        coalesce(c.n_children, 0) as n_children,
        c.children_max_points,
        -- the children's sum at the stage of the node's own value
        case
            when s.not_applicable then null
            when s.appraised_score is not null and c.n_appraised = c.n_children
                then c.children_appraised
            when s.appraised_score is null and s.self_score is not null
                and c.n_self = c.n_children then c.children_self
        end as children_value,
        coalesce(
            (s.self_score is not null and c.n_self = c.n_children
                and s.self_score <> c.children_self)
            or (s.appraised_score is not null and c.n_appraised = c.n_children
                and s.appraised_score <> c.children_appraised),
            false
        ) as children_sum_differs,
        s.source_file,
        s.source_row,
    from scores as s
    left join children as c using (unit_code, year, criterion_code)
)

select * from final
