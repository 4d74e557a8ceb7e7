-- One row per input rule of the incoming extract's kind: the profile's measure, its bounds, and
-- whether it holds. A file whose rules do not all hold is refused whole; the rules are data
-- (sql/sources/<table>.yml, `rules`).
-- Reads: incoming_profile (one row), incoming_rules (the rules of the kind being loaded).
with profile as (
    unpivot (select columns(*)::decimal(20, 6) from incoming_profile)
    on columns(*)
    into name measure value observed
),

rules as (
    select * from incoming_rules
),

final as (
    select
        r.pos,
        r.raw_table,
        r.measure,
        r.min_value,
        r.max_value,
        r.problem,
        r.description_vi,
        p.observed,
        coalesce(
            (r.min_value is null or p.observed >= r.min_value)
            and (r.max_value is null or p.observed <= r.max_value),
            false
        ) as success,
    from rules as r
    left join profile as p using (measure)
    order by r.pos
)

select * from final
