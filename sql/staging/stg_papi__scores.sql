-- One row per PAPI score: year x province x code (dimension D1-D8 or sub-dimension like 6.2).
-- Reads: raw_papi_scores (long and wide extracts alike).
with source as (
    select * from raw_papi_scores
),

typed as (
    select
        parse_integer(year) as year,
        nfc_normalize(trim(province)) as province,
        fold_key(province) as province_key,
        case
            when regexp_full_match(trim(code), '[Dd][1-9]') then upper(trim(code))
            else trim(code)
        end as code,
        parse_decimal(score) as score,
        parse_integer(province_map) as declared_map,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
),

final as (
    select
        *,
        case
            when regexp_full_match(code, 'D[1-9]') then 'dimension'
            when regexp_full_match(code, '[1-9]\.[1-9]') then 'subdimension'
        end as level,
        case
            when regexp_full_match(code, 'D[1-9]') then code
            when regexp_full_match(code, '[1-9]\.[1-9]') then 'D' || split_part(code, '.', 1)
        end as dimension_code,
    from typed
)

select * from final
