-- One row per problem found in an incoming published SIPAS rates extract.
-- Reads: incoming.
with incoming as (
    select * from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     year is null as year, unit_code is null as unit_code,
                     criterion_code is null as criterion_code, rate_pct is null as rate_pct,
                     n is null as n
                 from incoming)
        on year, unit_code, criterion_code, rate_pct, n
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
    select source_file, source_sheet, source_row, 'rate_pct', rate_pct, 'not_a_number',
        case when regexp_full_match(trim(rate_pct), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng nghìn'
            else 'một tỷ lệ phần trăm (ví dụ 75,03)' end,
    from incoming where rate_pct is not null and parse_decimal(rate_pct) is null
    union all
    select source_file, source_sheet, source_row, 'n', n, 'not_a_number',
        case when regexp_full_match(trim(n), '[0-9]{1,3}([.,][0-9]{3})+')
            then 'một số nguyên viết liền, không có dấu phân cách hàng nghìn (ví dụ 36525, không phải 36.525 hay 36,525)'
            else 'số phiếu hợp lệ (số nguyên)' end,
    from incoming where n is not null and parse_integer(n) is null
),

out_of_range as (
    select source_file, source_sheet, source_row, 'rate_pct' as column_name,
        rate_pct as value, 'out_of_range' as problem, 'tỷ lệ trong khoảng 0 đến 100' as expected,
    from incoming where parse_decimal(rate_pct) < 0 or parse_decimal(rate_pct) > 100
    union all
    select source_file, source_sheet, source_row, 'n', n, 'out_of_range',
        'số phiếu hợp lệ lớn hơn 0',
    from incoming where parse_integer(n) <= 0
),

duplicates as (
    select source_file, source_sheet, source_row, 'criterion_code' as column_name,
        criterion_code as value, 'duplicate_key' as problem,
        'một dòng cho mỗi năm × đơn vị × tiêu chí' as expected,
    from incoming
    qualify count(*) over (partition by trim(year), trim(unit_code), trim(criterion_code)) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
