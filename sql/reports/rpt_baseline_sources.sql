-- One row per index x tracked unit or province whose baseline comes from other units or
-- provinces (a 2025 merger), as the summary, the digest and the report say it: "Cơ sở 2024 lấy
-- từ: …". Reads: criterion_gaps.
with gaps as (
    select * from criterion_gaps where baseline_from is not null
),

final as (
    select distinct index_name, unit_code, baseline_year, baseline_from,
    from gaps
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), unit_code, baseline_from
)

select * from final
