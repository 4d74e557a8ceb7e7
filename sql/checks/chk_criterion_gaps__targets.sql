-- The criteria of criterion_gaps that have both a target and a current value, numbered from 0:
-- row check_row of the frame the Great Expectations suite target_criterion_gaps checks, one row
-- per criterion (its failing rows are the criteria that miss their target). Only the compared
-- columns go to GX; the keys stay here, and the failing rows are joined back by check_row.
-- Reads: criterion_gaps.
with gaps as (
    select *, rowid as gap_row from criterion_gaps
),

final as (
    select
        row_number() over (order by gap_row) - 1 as check_row,
        index_name,
        appendix,
        unit_code,
        criterion_code,
        current_value,
        target_value,
        target_op,
        status,
    from gaps
    where current_value is not null and target_value is not null
)

select * from final
