-- num / den as DECIMAL(18, 6), rounded half up, without going through a binary float
-- (DuckDB's DECIMAL division returns DOUBLE). num >= 0: a DECIMAL with at most 8 places or an
-- integer; den > 0. num * 10^8 is an exact integer k, and round(k / (100 den)) is integer division.
create or replace macro exact_div(num, den) as
    cast(
        cast(
            (cast(cast(num as decimal(38, 8)) * 100000000 as hugeint) * 2 + 100 * den)
                // (200 * den)
            as decimal(38, 0)
        ) * cast(0.000001 as decimal(7, 6))
        as decimal(18, 6)
    )
