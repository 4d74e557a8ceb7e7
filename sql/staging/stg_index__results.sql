-- One row per year x index (PAR INDEX or SIPAS) x ranked province or unit: its published score.
-- Reads: raw_index_results.
with source as (
    select * from raw_index_results
),

final as (
    select
        parse_integer(year) as year,
        index_key(index_name) as index_name,
        trim(name) as name,
        fold_key(name) as name_key,
        nullif(trim(unit_code), '') as unit_code,
        parse_decimal(score) as score,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
)

select * from final
