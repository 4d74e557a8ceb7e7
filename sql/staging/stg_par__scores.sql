-- One row per PAR INDEX extract row: typed, code normalised, level and parent derived from the code.
-- Reads: raw_par_scores (text cells as loaded by flows/readers.py, with provenance).
with source as (
    select * from raw_par_scores
),

typed as (
    select
        trim(unit_code) as unit_code,
        parse_integer(year) as year,
        norm_par_code(criterion_code) as criterion_code,
        trim(criterion_code) as criterion_code_raw,
        trim(criterion_name) as criterion_name,
        parse_decimal(max_points) as max_points,
        case when not is_not_applicable(self_score) then parse_decimal(self_score) end as self_score,
        case when not is_not_applicable(appraised_score) then parse_decimal(appraised_score) end
            as appraised_score,
        is_not_applicable(self_score) or is_not_applicable(appraised_score) as not_applicable,
        nullif(trim(evidence), '') as evidence,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
),

final as (
    select
        *,
        len(string_split(criterion_code, '.')) as depth,
        case len(string_split(criterion_code, '.'))
            when 1 then 'area' when 2 then 'TC' else 'TCTP'
        end as level,
        case
            when criterion_code like '%.%' then regexp_replace(criterion_code, '\.[^.]+$', '')
        end as parent_code,
    from typed
)

select * from final
