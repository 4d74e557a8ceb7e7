-- One row per problem found in an incoming SIPAS answers extract (long or wide).
-- Reads: incoming, and for unit codes ref_units, ref_unit_changes,
-- ref_province_names, plan_provinces, plan_unit_provinces. Answers outside 1-5 are problems of their own kind (invalid_answer):
-- they are excluded from n and reported; too many of them reject the file (see the GX suite).
-- Sized for ten million rows: a few scans find the rows to report, and only those are read again.
{% from '_shapes.sql.j2' import missing_required, not_a_number with context -%}
{% from '_units.sql.j2' import unit_problems -%}
with incoming as not materialized (
    select * from incoming
),

-- Each distinct year and answer (a handful) is parsed once, not once per row. any_value keeps
-- the parse above the grouping (a filter on a grouped column would be pushed below it).
years as materialized (
    select any_value(year) as year, from incoming group by year
),

answers as materialized (
    select any_value(answer) as answer, from incoming group by answer
),

bad_years as (
    select year from years where year is not null and parse_integer(year) is null
),

bad_answers as (
    select answer from answers where sipas_invalid_answer(answer)
),

flagged as materialized (
    select * from incoming
    where year is null or unit_code is null or respondent_id is null or question_code is null
        or year in (select year from bad_years)
        or answer in (select answer from bad_answers)
),

missing as (
    {{ missing_required('flagged') }}
),

not_numbers as (
    {{ not_a_number('flagged', 'year', 'một năm (số nguyên, ví dụ 2024)',
                    where='year in (select year from bad_years)') }}
),

invalid_answers as (
    select source_file, source_sheet, source_row, 'answer' as column_name,
        answer as value, 'invalid_answer' as problem,
        'một mức từ 1 đến 5, hoặc để trống' as expected,
    from flagged where answer in (select answer from bad_answers)
),

-- Keys seen twice, found by sorting a hash of each row's key (cheaper than grouping ten million
-- keys); the rows with such a hash are then counted on the key itself. Cells come trimmed from
-- the reader.
key_hashes as (
    select hash(year, unit_code, respondent_id, question_code) as key_hash,
    from incoming
),

repeated_hashes as (
    select key_hash from (
        select key_hash, lag(key_hash) over (order by key_hash) as previous, from key_hashes
    )
    where key_hash = previous
),

duplicates as (
    select source_file, source_sheet, source_row, 'question_code' as column_name,
        question_code as value, 'duplicate_key' as problem,
        'một câu trả lời cho mỗi phiếu × câu hỏi' as expected,
    from incoming
    where hash(year, unit_code, respondent_id, question_code)
        in (select key_hash from repeated_hashes)
    qualify count(*) over (partition by year, unit_code, respondent_id, question_code) > 1
),

-- unit codes the register does not decide, units gone by the year, old codes loaded under
-- their successor (a warning): _units.sql.j2
unit_codes as (
    {{ unit_problems('incoming', 'ref_province_names') }}
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from invalid_answers
    union all select * from duplicates
    union all select * from unit_codes
)

select * from final
