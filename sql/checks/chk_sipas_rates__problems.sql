-- One row per problem found in an incoming published SIPAS rates extract.
-- Reads: incoming. The shapes are macros (_shapes.sql.j2), rendered with the kind's
-- declaration (sql/sources/sipas_rates.yml).
{% from '_shapes.sql.j2' import missing_required, not_a_number, problem with context -%}
with incoming as (
    select * from incoming
),

missing as (
    {{ missing_required() }}
),

not_numbers as (
    {{ not_a_number('incoming', 'year', 'một năm (số nguyên, ví dụ 2024)') }}
    union all
    {{ not_a_number('incoming', 'rate_pct', 'một tỷ lệ phần trăm (ví dụ 75,03)') }}
    union all
    {{ not_a_number('incoming', 'n', 'số phiếu hợp lệ (số nguyên)') }}
),

out_of_range as (
    {{ problem('incoming', 'rate_pct', 'out_of_range', "'tỷ lệ trong khoảng 0 đến 100'",
               'parse_decimal(rate_pct) < 0 or parse_decimal(rate_pct) > 100') }}
    union all
    {{ problem('incoming', 'n', 'out_of_range', "'số phiếu hợp lệ lớn hơn 0'",
               'parse_integer(n) <= 0') }}
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
