-- One row per SIPAS criterion (question): its element (1-5) and Vietnamese name.
-- Reads: raw_sipas_criteria.
with source as (
    select * from raw_sipas_criteria
),

final as (
    select
        trim(question_code) as question_code,
        parse_integer(element) as element,
        trim(criterion_name) as criterion_name,
        source_file,
        source_row,
    from source
    qualify row_number() over (partition by trim(question_code) order by source_file, source_row) = 1
)

select * from final
