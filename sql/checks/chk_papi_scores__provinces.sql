-- One row per incoming PAPI row whose province is in neither list of data/reference/provinces.csv
-- (the 63 provinces before 2025, the 34 from 12 June 2025). Reads: incoming, ref_provinces.
-- Names match ignoring case, diacritics, a "Tỉnh"/"Thành phố"/"TP." prefix, spaces and hyphens.
with incoming as (
    select * from incoming
),

provinces as (
    select * from ref_provinces
),

known as (
    select distinct
        regexp_replace(
            regexp_replace(fold_key(province), '^(tinh|thanh pho|tp\.?)\s*', ''),
            '[^a-z0-9]+', '', 'g'
        ) as province_key,
    from provinces
),

keyed as (
    select
        *,
        regexp_replace(
            regexp_replace(fold_key(province), '^(tinh|thanh pho|tp\.?)\s*', ''),
            '[^a-z0-9]+', '', 'g'
        ) as province_key,
    from incoming
    where province is not null
),

final as (
    select
        source_file,
        source_sheet,
        source_row,
        'province' as column_name,
        province as value,
        'bad_code' as problem,
        'tên một tỉnh, thành phố trong danh mục 63 tỉnh (trước 2025) hoặc 34 tỉnh (từ 2025)'
            || ' ở data/reference/provinces.csv; sửa tên, hoặc bỏ dòng không phải một tỉnh'
            || ' (ví dụ dòng toàn quốc)' as expected,
    from keyed
    anti join known using (province_key)
)

select * from final
