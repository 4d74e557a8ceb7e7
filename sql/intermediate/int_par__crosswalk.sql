-- One row per line of the PAR criteria crosswalk the plan names (criteria_crosswalk.PAR), from
-- the baseline year's criteria edition to the target year's: codes in the PAR extracts'
-- canonical form (norm_par_code), maxima as numbers; unit_code: the baseline unit the file is
-- for (NULL: every unit without a file of its own). Empty when the plan names none.
-- Reads: plan_crosswalk.
with declared as (
    select * from plan_crosswalk where index_name = 'PAR'
),

final as (
    select
        norm_par_code(old_code) as old_code,
        norm_par_code(new_code) as new_code,
        parse_decimal(old_max) as old_max,
        parse_decimal(new_max) as new_max,
        kind,
        rule,
        source_file,
        source_row,
        unit_code,
    from declared
)

select * from final
