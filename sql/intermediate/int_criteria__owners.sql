-- One row per index x criterion code: the owner unit, by the most specific matching plan
-- pattern ('PAR:7' owns 7, 7.1, 7.1.2; '*' owns everything; ties are refused in the plan).
-- Reads: int_targets__unioned, plan_owner_rules.
with criteria as (
    select distinct index_name, criterion_code, code_path from int_targets__unioned
),

rules as (
    select * from plan_owner_rules
),

matches as (
    select c.index_name, c.criterion_code, r.owner_unit, r.depth, r.pattern,
    from criteria as c
    join rules as r
        on r.index_name = c.index_name
        and (r.depth = 0 or c.code_path = r.code_path or starts_with(c.code_path, r.code_path || '.'))
),

final as (
    select
        index_name,
        criterion_code,
        arg_max(owner_unit, depth) as owner_unit,
        arg_max(pattern, depth) as owner_pattern,
    from matches
    group by all
)

select * from final
