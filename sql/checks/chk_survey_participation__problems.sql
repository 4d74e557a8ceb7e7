-- One row per problem found in an incoming survey participation extract: per year, index and
-- unit, the sociological survey forms assigned and answered (phiếu điều tra xã hội học).
-- Reads: incoming.
with incoming as (
    select * from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     year is null as year, index_name is null as index_name,
                     unit_code is null as unit_code, forms_assigned is null as forms_assigned,
                     forms_answered is null as forms_answered
                 from incoming)
        on year, index_name, unit_code, forms_assigned, forms_answered
        into name column_name value is_missing
    )
    where is_missing
),

not_numbers as (
    select source_file, source_sheet, source_row, column_name, value,
        'not_a_number' as problem,
        case when column_name = 'year' then 'một năm (số nguyên, ví dụ 2024)'
            else 'một số phiếu (số nguyên không âm, viết liền)' end as expected,
    from (
        unpivot (select source_file, source_sheet, source_row, year, forms_assigned,
                     forms_answered from incoming)
        on year, forms_assigned, forms_answered
        into name column_name value value
    )
    where value is not null and parse_integer(value) is null
),

bad_index as (
    select source_file, source_sheet, source_row, 'index_name' as column_name,
        index_name as value, 'bad_code' as problem,
        'tên chỉ số: PAR INDEX (CCHC), SIPAS hoặc PAPI' as expected,
    from incoming
    where index_name is not null and index_key(index_name) is null
),

out_of_range as (
    select source_file, source_sheet, source_row, 'forms_answered' as column_name,
        forms_answered as value, 'out_of_range' as problem,
        'số phiếu đã trả lời từ 0 đến số phiếu được giao (' || forms_assigned || ')' as expected,
    from incoming
    where parse_integer(forms_answered) < 0
        or parse_integer(forms_answered) > parse_integer(forms_assigned)
    union all
    select source_file, source_sheet, source_row, 'forms_assigned', forms_assigned,
        'out_of_range', 'số phiếu được giao lớn hơn 0',
    from incoming where parse_integer(forms_assigned) <= 0
),

duplicates as (
    select source_file, source_sheet, source_row, 'unit_code' as column_name,
        unit_code as value, 'duplicate_key' as problem,
        'một dòng cho mỗi năm × chỉ số × đơn vị' as expected,
    from incoming
    qualify count(*) over (
        partition by trim(year), index_key(index_name), trim(unit_code)
    ) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_index
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
