-- One row per SIPAS answer (long and wide extracts alike): typed, with validity of the answer.
-- Reads: the unit register (_units.sql.j2: ref_units, ref_unit_changes, stg_ref__provinces,
-- plan_provinces, plan_unit_provinces), raw_sipas_answers. Blank answers are kept (not valid, not invalid). A level is a whole
-- number: '3.5' is invalid (a cast to integer would round it to 4 and count it as satisfied).
{% from '_units.sql.j2' import join_units, resolved_unit -%}
with source as (
    select * from raw_sipas_answers
),

parsed as (
    select *, parse_decimal(answer) as answer_number,
    from source
),

final as (
    select
        parse_integer(year) as year,
        {{ resolved_unit('s') }} as unit_code,
        trim(respondent_id) as respondent_id,
        trim(question_code) as question_code,
        nullif(trim(answer), '') as answer_raw,
        case when answer_number = trunc(answer_number) then try_cast(answer_number as integer) end
            as answer,
        coalesce(answer_number in (1, 2, 3, 4, 5), false) as is_valid,
        sipas_invalid_answer(answer) as is_invalid,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from parsed as s
    {{ join_units('raw_sipas_answers', 's', 'stg_ref__provinces') }}
)

select * from final
