-- One row per problem found in an incoming SIPAS criteria sheet.
-- Reads: incoming.
{% from '_shapes.sql.j2' import missing_required with context -%}
with incoming as (
    select * from incoming
),

missing as (
    {{ missing_required() }}
),

out_of_range as (
    select source_file, source_sheet, source_row, 'element' as column_name, element as value,
        'out_of_range' as problem, 'yếu tố là số nguyên từ 1 đến 5' as expected,
    from incoming
    where element is not null and not coalesce(parse_integer(element) between 1 and 5, false)
    union all
    select source_file, source_sheet, source_row, 'component', component, 'out_of_range',
        'thành phần: "Chính sách" hoặc "Cung ứng dịch vụ công" (hoặc để trống)',
    from incoming
    where nullif(trim(component), '') is not null and sipas_component(component) is null
),

duplicates as (
    select source_file, source_sheet, source_row, 'question_code' as column_name,
        question_code as value, 'duplicate_key' as problem,
        'mỗi mã câu hỏi chỉ một dòng' as expected,
    from incoming
    qualify count(*) over (partition by trim(question_code)) > 1 and question_code is not null
),

final as (
    select * from missing
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
