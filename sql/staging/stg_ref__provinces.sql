-- One row per province map x name a province goes by on it (its name and each alias), with its
-- statistics-office code. Reads: ref_provinces (data/reference/provinces.csv).
with provinces as (
    select * from ref_provinces
),

names as (
    select map, code, name, name as known_as, from provinces
    union all
    select map, code, name, trim(unnest(string_split(aliases, ';'))) as known_as,
    from provinces
    where coalesce(trim(aliases), '') <> ''
),

final as (
    select
        cast(map as integer) as province_map,
        code as province_code,
        name as province_name,
        known_as,
        province_name_key(known_as) as name_key,
    from names
)

select * from final
