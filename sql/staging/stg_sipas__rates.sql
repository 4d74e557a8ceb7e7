-- One row per published SIPAS rate: year x assessed unit x criterion, rate in % and its sample n.
-- Reads: raw_sipas_rates.
with source as (
    select * from raw_sipas_rates
),

final as (
    select
        parse_integer(year) as year,
        trim(unit_code) as unit_code,
        trim(criterion_code) as criterion_code,
        parse_decimal(rate_pct) as rate_pct,
        parse_integer(n) as n,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source
)

select * from final
