-- One row per problem found in an incoming PAPI scores extract (long or wide).
-- Reads: incoming. Scale: a dimension D1-D8 scores 1-10; a sub-dimension at most 10/3
-- (the exact bound, 10 / number of sub-dimensions, is applied in int_papi__scores).
with incoming as (
    select * from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     year is null as year, province is null as province, code is null as code
                 from incoming)
        on year, province, code
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
    union all
    select source_file, source_sheet, source_row, 'score', score, 'not_a_number',
        case when regexp_full_match(trim(score), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng nghìn'
            else 'một điểm số (ví dụ 5,45)' end,
    from incoming where nullif(trim(score), '') is not null and parse_decimal(score) is null
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
