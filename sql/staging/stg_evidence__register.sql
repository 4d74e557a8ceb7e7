-- One row per evidence register entry (tài liệu kiểm chứng): typed, code normalised.
-- Reads: raw_evidence_register. An entry names a document (number, symbol or title) or a link
-- or file name; an entry with only a note is an explanation (giải trình), not a document.
with source as (
    select * from raw_evidence_register
),

final as (
    select
        parse_integer(year) as year,
        trim(unit_code) as unit_code,
        norm_par_code(criterion_code) as criterion_code,
        nullif(trim(document), '') as document,
        parse_date(document_date) as document_date,
        nullif(trim(link), '') as link,
        nullif(trim(note), '') as note,
        nullif(trim(document), '') is not null or nullif(trim(link), '') is not null
            as names_a_document,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
)

select * from final
