-- One row per published SIPAS rate: year x assessed unit x criterion, rate in % and its sample n.
-- Reads: the unit register (_units.sql.j2: ref_units, ref_unit_changes, stg_ref__provinces,
-- plan_provinces, plan_unit_provinces), raw_sipas_rates.
{% from '_units.sql.j2' import join_units, resolved_unit -%}
with source as (
    select * from raw_sipas_rates
),

final as (
    select
        parse_integer(year) as year,
        {{ resolved_unit('s') }} as unit_code,
        trim(criterion_code) as criterion_code,
        parse_decimal(rate_pct) as rate_pct,
        parse_integer(n) as n,
        source_file,
        source_sheet,
        source_sha256,
        source_row,
    from source as s
    {{ join_units('raw_sipas_rates', 's', 'stg_ref__provinces') }}
)

select * from final
