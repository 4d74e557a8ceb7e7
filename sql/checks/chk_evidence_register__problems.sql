-- One row per problem found in an incoming evidence register (tài liệu kiểm chứng) extract.
-- Reads: incoming, and for unit codes ref_units, ref_unit_changes,
-- ref_province_names, plan_provinces, plan_unit_provinces. A row names its evidence by a document (number, symbol or title) or a link
-- or file name; a row with only a note is an explanation, which is allowed (and reported as
-- such in criterion_gaps), but an empty row is not.
{% from '_shapes.sql.j2' import missing_required, not_a_number, problem with context -%}
{% from '_units.sql.j2' import unit_problems -%}
with incoming as (
    select * from incoming
),

missing as (
    {{ missing_required() }}
),

nothing_given as (
    select source_file, source_sheet, source_row, 'document' as column_name, null as value,
        'missing_required' as problem,
        'số, ký hiệu hoặc trích yếu văn bản, đường dẫn hoặc tên tệp, hoặc nội dung giải trình'
            as expected,
    from incoming
    where nullif(trim(document), '') is null and nullif(trim(link), '') is null
        and nullif(trim(note), '') is null
),

not_numbers as (
    {{ not_a_number('incoming', 'year', 'một năm (số nguyên, ví dụ 2024)') }}
),

bad_dates as (
    {{ problem('incoming', 'document_date', 'not_a_number',
               "'một ngày dạng dd/mm/yyyy (ví dụ 15/3/2024) hoặc yyyy-mm-dd'",
               "nullif(trim(document_date), '') is not null and parse_date(document_date) is null")
    }}
),

bad_codes as (
    {{ problem('incoming', 'criterion_code', 'bad_code',
               "'một mã tiêu chí dạng 1, 1.1, 1.1.2 (cho phép dấu chấm cuối, số La Mã cho lĩnh"
               " vực)'", 'criterion_code is not null and not is_par_code(criterion_code)') }}
),

-- unit codes the register does not decide, units gone by the year, old codes loaded under
-- their successor (a warning): _units.sql.j2
unit_codes as (
    {{ unit_problems('incoming', 'ref_province_names') }}
),

final as (
    select * from missing
    union all select * from nothing_given
    union all select * from not_numbers
    union all select * from bad_dates
    union all select * from bad_codes
    union all select * from unit_codes
)

select * from final
