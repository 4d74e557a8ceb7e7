-- One row per assessed unit x year x PAR INDEX criterion (area, TC, TCTP): the tree with each
-- node's value and stage, and the sums of its children for consistency checks.
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
        sum(coalesce(appraised_score, self_score, 0)) as children_value,
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
        c.children_value,
        s.source_file,
        s.source_row,
    from scores as s
    left join children as c using (unit_code, year, criterion_code)
)

select * from final
