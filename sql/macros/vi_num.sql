-- A decimal as the rule texts print it: vi_number rounded to `places` decimals, and at least one
-- decimal (1 -> '1,0', 0.25 -> '0,25'). NULL stays NULL (a rule text with a gap is no text).
create or replace macro vi_num(x, places) as (
    with t as (select vi_number(round(cast(x as decimal(18, 6)), places), null) as s)
    select case when x is null then null when contains(s, ',') then s else s || ',0' end from t
)
