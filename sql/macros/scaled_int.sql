-- x * 10^places as an exact whole number (HUGEINT): x has at most `places` decimals (a score
-- has 8, a weight 6). For exact arithmetic on decimals without a binary float in between.
create or replace macro scaled_int(x, places) as
    cast(cast(x as decimal(38, 8)) * cast(10 ** places as hugeint) as hugeint)
