-- One row per SIPAS answer (long and wide extracts alike): typed, with validity of the answer.
-- Reads: raw_sipas_answers. Blank answers are kept (not valid, not invalid).
with source as (
    select * from raw_sipas_answers
),

final as (
    select
        parse_integer(year) as year,
        trim(unit_code) as unit_code,
        trim(respondent_id) as respondent_id,
        trim(question_code) as question_code,
        nullif(trim(answer), '') as answer_raw,
        try_cast(trim(answer) as integer) as answer,
        coalesce(try_cast(trim(answer) as integer) between 1 and 5, false) as is_valid,
        nullif(trim(answer), '') is not null
            and not coalesce(try_cast(trim(answer) as integer) between 1 and 5, false) as is_invalid,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
)

select * from final
