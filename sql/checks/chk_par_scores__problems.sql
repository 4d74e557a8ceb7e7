-- One row per problem found in an incoming PAR INDEX extract: where it is and what was expected.
-- Reads: incoming (one extract, as text). Bulk input is validated here, in SQL, not in pandas.
with incoming as (
    select * from incoming
),

keyed as (
    select
        *,
        count(*) over (
            partition by trim(unit_code), trim(year), norm_par_code(criterion_code)
        ) as key_rows,
    from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     unit_code is null as unit_code, year is null as year,
                     criterion_code is null as criterion_code,
                     criterion_name is null as criterion_name,
                     max_points is null as max_points
                 from incoming)
        on unit_code, year, criterion_code, criterion_name, max_points
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
    select source_file, source_sheet, source_row, 'max_points', max_points,
        'not_a_number', case when regexp_full_match(trim(max_points), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng nghìn'
            else 'một số (ví dụ 0,5 hoặc 0.5)' end,
    from incoming where max_points is not null and parse_decimal(max_points) is null
    union all
    select source_file, source_sheet, source_row, 'self_score', self_score,
        'not_a_number', case when regexp_full_match(trim(self_score), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng nghìn'
            else 'một số, hoặc "Không áp dụng"' end,
    from incoming
    where self_score is not null and parse_decimal(self_score) is null
        and not is_not_applicable(self_score)
    union all
    select source_file, source_sheet, source_row, 'appraised_score', appraised_score,
        'not_a_number', case when regexp_full_match(trim(appraised_score), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng nghìn'
            else 'một số, hoặc "Không áp dụng"' end,
    from incoming
    where appraised_score is not null and parse_decimal(appraised_score) is null
        and not is_not_applicable(appraised_score)
),

bad_codes as (
    select source_file, source_sheet, source_row, 'criterion_code' as column_name,
        criterion_code as value, 'bad_code' as problem,
        'một mã tiêu chí dạng 1, 1.1, 1.1.2 (cho phép dấu chấm cuối, số La Mã cho lĩnh vực)'
            as expected,
    from incoming
    where criterion_code is not null
        and not regexp_full_match(trim(criterion_code), '([0-9]+|[IVXivx]+)(\.[0-9]+)*\.?')
),

out_of_range as (
    select source_file, source_sheet, source_row, 'max_points' as column_name,
        max_points as value, 'out_of_range' as problem, 'điểm tối đa lớn hơn 0' as expected,
    from incoming where parse_decimal(max_points) <= 0
    union all
    select source_file, source_sheet, source_row, 'self_score', self_score, 'out_of_range',
        'điểm trong khoảng 0 đến điểm tối đa (' || trim(max_points) || ')',
    from incoming
    where parse_decimal(self_score) < 0 or parse_decimal(self_score) > parse_decimal(max_points)
    union all
    select source_file, source_sheet, source_row, 'appraised_score', appraised_score,
        'out_of_range', 'điểm trong khoảng 0 đến điểm tối đa (' || trim(max_points) || ')',
    from incoming
    where parse_decimal(appraised_score) < 0
        or parse_decimal(appraised_score) > parse_decimal(max_points)
),

duplicates as (
    select source_file, source_sheet, source_row, 'criterion_code' as column_name,
        criterion_code as value, 'duplicate_key' as problem,
        'một dòng cho mỗi đơn vị × năm × tiêu chí (mã này lặp lại '
            || key_rows || ' lần)' as expected,
    from keyed
    where key_rows > 1 and criterion_code is not null
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_codes
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
