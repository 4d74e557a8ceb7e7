-- One row per evidence register entry (tài liệu kiểm chứng): typed, code normalised.
-- Reads: the unit register (_units.sql.j2: ref_units, ref_unit_changes, stg_ref__provinces,
-- plan_provinces, plan_unit_provinces), raw_evidence_register. An entry names a document (number, symbol or title) or a link
-- or file name; an entry with only a note is an explanation (giải trình), not a document.
{% from '_units.sql.j2' import join_units, resolved_unit -%}
with source as (
    select * from raw_evidence_register
),

final as (
    select
        parse_integer(year) as year,
        {{ resolved_unit('s') }} as unit_code,
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
    from source as s
    {{ join_units('raw_evidence_register', 's', 'stg_ref__provinces') }}
)

select * from final
