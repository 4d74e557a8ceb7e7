-- One row per problem found in an incoming PAPI scores extract (long or wide).
-- Reads: incoming. Scale: a dimension D1-D8 scores 1-10; a sub-dimension at most 10/3
-- (the exact bound, 10 / number of sub-dimensions, is applied in int_papi__scores).
{% from '_shapes.sql.j2' import missing_required, not_a_number with context -%}
with incoming as (
    select * from incoming
),

missing as (
    {{ missing_required() }}
),

not_numbers as (
    {{ not_a_number('incoming', 'year', 'một năm (số nguyên, ví dụ 2024)') }}
    union all
    {{ not_a_number('incoming', 'score', 'một điểm số (ví dụ 5,45)') }}
),

bad_codes as (
    select source_file, source_sheet, source_row, 'code' as column_name, code as value,
        'bad_code' as problem,
        'mã chỉ số nội dung D1-D8 hoặc nội dung thành phần dạng 6.2' as expected,
    from incoming
    where code is not null and not regexp_full_match(trim(code), '[Dd][1-8]|[1-8]\.[1-9]')
),

out_of_range as (
    select source_file, source_sheet, source_row, 'score' as column_name, score as value,
        'out_of_range' as problem,
        case when regexp_full_match(trim(code), '[Dd][1-9]') then 'điểm chỉ số nội dung từ 1 đến 10'
            else 'điểm nội dung thành phần từ 0 đến 3,33' end as expected,
    from incoming
    where (regexp_full_match(trim(code), '[Dd][1-9]')
            and (parse_decimal(score) < 1 or parse_decimal(score) > 10))
        or (regexp_full_match(trim(code), '[1-9]\.[1-9]')
            and (parse_decimal(score) <= 0 or parse_decimal(score) > 3.333334))
),

duplicates as (
    select source_file, source_sheet, source_row, 'code' as column_name, code as value,
        'duplicate_key' as problem, 'một điểm cho mỗi năm × tỉnh × mã' as expected,
    from incoming
    qualify count(*) over (partition by trim(year), fold_key(province), upper(trim(code))) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_codes
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
