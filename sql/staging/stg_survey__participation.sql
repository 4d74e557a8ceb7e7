-- One row per year x index x unit: the sociological survey forms the unit was assigned and
-- those answered (phiếu điều tra xã hội học). Reads: raw_survey_participation.
with source as (
    select * from raw_survey_participation
),

final as (
    select
        parse_integer(year) as year,
        index_key(index_name) as index_name,
        trim(unit_code) as unit_code,
        parse_integer(forms_assigned) as forms_assigned,
        parse_integer(forms_answered) as forms_answered,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
)

select * from final
