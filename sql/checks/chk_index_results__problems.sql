-- One row per problem found in an incoming index results extract: the published score of
-- every province or unit ranked on an index in a year (from which chiso computes ranks).
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
                     name is null as name, score is null as score
                 from incoming)
        on year, index_name, name, score
        into name column_name value is_missing
    )
    where is_missing
),

not_numbers as (
    select source_file, source_sheet, source_row, 'year' as column_name, year as value,
        'not_a_number' as problem, 'một năm (số nguyên, ví dụ 2024)' as expected,
    from incoming where year is not null and parse_integer(year) is null
    union all
    select source_file, source_sheet, source_row, 'score', score, 'not_a_number',
        'một điểm hoặc tỷ lệ (ví dụ 84,69 hoặc 84.69)',
    from incoming where score is not null and parse_decimal(score) is null
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
