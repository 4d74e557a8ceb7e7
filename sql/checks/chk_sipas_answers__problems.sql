-- One row per problem found in an incoming SIPAS answers extract (long or wide).
-- Reads: incoming. Answers outside 1-5 are problems of their own kind (invalid_answer):
-- they are excluded from n and reported; too many of them reject the file (see the GX suite).
with incoming as (
    select * from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     year is null as year, unit_code is null as unit_code,
                     respondent_id is null as respondent_id,
                     question_code is null as question_code
                 from incoming)
        on year, unit_code, respondent_id, question_code
        into name column_name value is_missing
    )
    where is_missing
),

not_numbers as (
    select source_file, source_sheet, source_row, 'year' as column_name, year as value,
        'not_a_number' as problem,
        case when regexp_full_match(trim(year), '[0-9]{1,3}([.,][0-9]{3})+')
            then 'một số nguyên viết liền, không có dấu phân cách hàng nghìn (ví dụ 36525, không phải 36.525 hay 36,525)'
            else 'một năm (số nguyên, ví dụ 2024)' end as expected,
    from incoming where year is not null and parse_integer(year) is null
),

invalid_answers as (
    select source_file, source_sheet, source_row, 'answer' as column_name,
        answer as value, 'invalid_answer' as problem,
        'một mức từ 1 đến 5, hoặc để trống' as expected,
    from incoming
    where nullif(trim(answer), '') is not null
        and not coalesce(parse_decimal(answer) in (1, 2, 3, 4, 5), false)
),

duplicates as (
    select source_file, source_sheet, source_row, 'question_code' as column_name,
        question_code as value, 'duplicate_key' as problem,
        'một câu trả lời cho mỗi phiếu × câu hỏi' as expected,
    from incoming
    qualify count(*) over (
        partition by trim(year), trim(unit_code), trim(respondent_id), trim(question_code)
    ) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from invalid_answers
    union all select * from duplicates
)

select * from final
