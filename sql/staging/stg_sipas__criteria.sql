-- One row per SIPAS criterion (question): its element (1-5), Vietnamese name and component
-- (policy, service_delivery; NULL in the 2023 layout).
-- Reads: raw_sipas_criteria.
with source as (
    select * from raw_sipas_criteria
),

final as (
    select
        trim(question_code) as question_code,
        parse_integer(element) as element,
        trim(criterion_name) as criterion_name,
        sipas_component(component) as component,
        source_file,
        source_row,
    from source
    qualify row_number() over (partition by trim(question_code) order by source_file, source_row) = 1
)

select * from final
