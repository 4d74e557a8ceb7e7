-- num / den as DECIMAL(18, 6), rounded half up, without going through a binary float
-- (DuckDB's DECIMAL division returns DOUBLE). num: a DECIMAL with at most 6 places or an integer; den > 0.
create or replace macro exact_div(num, den) as
    cast(
        (cast(cast(num as decimal(38, 6)) * 1000000 as hugeint) * 2 + den) // (2 * den)
        as decimal(38, 0)
    ) * cast(0.000001 as decimal(7, 6))
