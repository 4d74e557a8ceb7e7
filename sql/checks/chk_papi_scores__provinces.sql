-- One row per incoming PAPI row whose province is not a province of the map its year is on
-- (data/reference/provinces.csv): the map its province_map cell names, else 63 up to 2024 and 34
-- from 2025 (year_province_map); or whose province_map is neither 63 nor 34.
-- Names match ignoring case, diacritics, a "Tỉnh"/"Thành phố"/"TP." prefix, spaces and hyphens.
-- Reads: incoming, ref_province_names (stg_ref__provinces, built by flows/intake/ingest.py).
with incoming as (
    select * from incoming
),

names as (
    select * from ref_province_names
),

keyed as (
    select
        *,
        province_name_key(province) as name_key,
        coalesce(parse_integer(province_map), year_province_map(parse_integer(year))) as on_map,
    from incoming
    where province is not null
),

bad_maps as (
    select source_file, source_sheet, source_row, 'province_map' as column_name,
        province_map as value, 'bad_code' as problem,
        '63 (bản đồ 63 tỉnh, đến 30/6/2025) hoặc 34 (bản đồ 34 tỉnh, từ 1/7/2025);'
            || ' để trống: 63 đến năm 2024, 34 từ năm 2025' as expected,
    from keyed
    where province_map is not null and coalesce(parse_integer(province_map), 0) not in (63, 34)
),

unknown as (
    select k.*,
        (select min(n.province_map) from names as n
         where n.name_key = k.name_key and n.province_map <> k.on_map) as other_map,
    from keyed as k
    where k.on_map in (63, 34)
        and not exists (
            select 1 from names as n where n.name_key = k.name_key and n.province_map = k.on_map
        )
),

unknown_provinces as (
    select source_file, source_sheet, source_row, 'province' as column_name, province as value,
        'bad_code' as problem,
        case
            when other_map is not null then
                'một tỉnh của bản đồ ' || on_map || ' tỉnh (năm ' || year || '): ' || province
                || ' chỉ có trên bản đồ ' || other_map || ' tỉnh; ghi cột province_map = '
                || other_map || ' nếu điểm này tính theo tỉnh cũ, hoặc ghi tên tỉnh mới'
            else
                'tên một tỉnh, thành phố của bản đồ ' || on_map || ' tỉnh (năm ' || year || ')'
                || ' ở data/reference/provinces.csv; sửa tên, hoặc bỏ dòng không phải một tỉnh'
                || ' (ví dụ dòng toàn quốc)'
        end as expected,
    from unknown
),

final as (
    select * from bad_maps
    union all
    select * from unknown_provinces
)

select * from final
