-- A decimal in Vietnamese notation, at most `places` decimals, at least one: 1 -> '1,0', 0.25 -> '0,25'.
create or replace macro vi_num(x, places) as (
    with t as (select rtrim(cast(round(cast(x as decimal(18, 6)), places) as varchar), '0') as s)
    select replace(case when ends_with(s, '.') then s || '0' else s end, '.', ',') from t
)
