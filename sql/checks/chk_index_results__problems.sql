-- One row per problem found in an incoming index results extract: the published score of
-- every province or unit ranked on an index in a year (from which chiso computes ranks).
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
    {{ not_a_number('incoming', 'score', 'một điểm hoặc tỷ lệ (ví dụ 84,69 hoặc 84.69)') }}
),

bad_index as (
    select source_file, source_sheet, source_row, 'index_name' as column_name,
        index_name as value, 'bad_code' as problem,
        'tên chỉ số: PAR INDEX (CCHC) hoặc SIPAS (xếp hạng PAPI tính từ tệp điểm PAPI)'
            as expected,
    from incoming
    where index_name is not null and coalesce(index_key(index_name) not in ('PAR', 'SIPAS'), true)
),

out_of_range as (
    select source_file, source_sheet, source_row, 'score' as column_name, score as value,
        'out_of_range' as problem, 'điểm hoặc tỷ lệ trong khoảng 0 đến 100' as expected,
    from incoming where parse_decimal(score) < 0 or parse_decimal(score) > 100
),

duplicates as (
    select source_file, source_sheet, source_row, 'name' as column_name, name as value,
        'duplicate_key' as problem, 'một dòng cho mỗi năm × chỉ số × tên' as expected,
    from incoming
    qualify count(*) over (partition by trim(year), index_key(index_name), fold_key(name)) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_index
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
