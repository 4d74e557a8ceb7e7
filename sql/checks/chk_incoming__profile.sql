-- One row: the profile of the incoming extract that the Great Expectations input suites check.
-- Reads: incoming, incoming_problems (the kind's chk_*__problems model).
with incoming as (
    select * from incoming
),

problems as (
    select * from incoming_problems
),

counts as (
    select
        count(*) filter (where problem = 'missing_required') as n_missing_required,
        count(*) filter (where problem = 'not_a_number') as n_not_a_number,
        count(*) filter (where problem = 'bad_code') as n_bad_code,
        count(*) filter (where problem = 'out_of_range') as n_out_of_range,
        count(*) filter (where problem = 'duplicate_key') as n_duplicate_key,
        count(*) filter (where problem = 'invalid_answer') as n_invalid_answer,
        count(*) filter (where problem = 'children_sum') as n_children_sum,
        count(*) filter (where problem = 'bad_unit') as n_bad_unit,
    from problems
),

final as (
    select
        (select count(*) from incoming) as n_rows,
        counts.*,
        case
            when (select count(*) from incoming) = 0 then 0
            else exact_div(n_invalid_answer * 100, (select count(*) from incoming))
        end as invalid_answer_pct,
    from counts
)

select * from final
