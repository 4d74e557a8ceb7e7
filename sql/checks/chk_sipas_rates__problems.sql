-- One row per problem found in an incoming published SIPAS rates extract.
-- Reads: incoming, and for unit codes ref_units, ref_unit_changes,
-- ref_province_names, plan_provinces, plan_unit_provinces. The shapes are macros
-- (_shapes.sql.j2), rendered with the kind's
-- declaration (sql/sources/sipas_rates.yml).
{% from '_shapes.sql.j2' import missing_required, not_a_number, problem with context -%}
{% from '_units.sql.j2' import unit_problems -%}
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

-- unit codes the register does not decide, units gone by the year, old codes loaded under
-- their successor (a warning): _units.sql.j2
unit_codes as (
    {{ unit_problems('incoming', 'ref_province_names') }}
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from out_of_range
    union all select * from duplicates
    union all select * from unit_codes
)

select * from final
