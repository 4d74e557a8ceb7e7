-- One row per problem found in an incoming evidence register (tài liệu kiểm chứng) extract.
-- Reads: incoming. A row names its evidence by a document (number, symbol or title) or a link
-- or file name; a row with only a note is an explanation, which is allowed (and reported as
-- such in criterion_gaps), but an empty row is not.
with incoming as (
    select * from incoming
),

missing as (
    select source_file, source_sheet, source_row, column_name, null as value,
        'missing_required' as problem, 'một giá trị (ô bắt buộc)' as expected,
    from (
        unpivot (select source_file, source_sheet, source_row,
                     year is null as year, unit_code is null as unit_code,
                     criterion_code is null as criterion_code
                 from incoming)
        on year, unit_code, criterion_code
        into name column_name value is_missing
    )
    where is_missing
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
    select source_file, source_sheet, source_row, 'year' as column_name, year as value,
        'not_a_number' as problem, 'một năm (số nguyên, ví dụ 2024)' as expected,
    from incoming where year is not null and parse_integer(year) is null
),

bad_dates as (
    select source_file, source_sheet, source_row, 'document_date' as column_name,
        document_date as value, 'not_a_number' as problem,
        'một ngày dạng dd/mm/yyyy (ví dụ 15/3/2024) hoặc yyyy-mm-dd' as expected,
    from incoming
    where nullif(trim(document_date), '') is not null
        and parse_date(document_date) is null
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

final as (
    select * from missing
    union all select * from nothing_given
    union all select * from not_numbers
    union all select * from bad_dates
    union all select * from bad_codes
)

select * from final
