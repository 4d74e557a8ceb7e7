-- One row per problem found in an incoming survey participation extract: per year, index and
-- unit, the sociological survey forms assigned and answered (phiếu điều tra xã hội học).
-- Reads: incoming.
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
    {{ not_a_number('incoming', 'forms_assigned', 'một số phiếu (số nguyên không âm, viết liền)') }}
    union all
    {{ not_a_number('incoming', 'forms_answered', 'một số phiếu (số nguyên không âm, viết liền)') }}
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
