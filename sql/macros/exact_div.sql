-- num / den as DECIMAL(18, 6), rounded half up, without going through a binary float
-- (DuckDB's DECIMAL division returns DOUBLE). num >= 0 and den > 0, each a DECIMAL with at most
-- 14 places or an integer (a weighted mean's Σ w·s and Σ w, too): scaled by 10^14 both are exact
-- integers N and D, and round(10^6 N / D) is integer division.
create or replace macro exact_div(num, den) as
    cast(
        cast(
            (cast(cast(num as decimal(38, 14)) * 100000000000000 as hugeint) * 2000000
                + cast(cast(den as decimal(38, 14)) * 100000000000000 as hugeint))
                // (2 * cast(cast(den as decimal(38, 14)) * 100000000000000 as hugeint))
            as decimal(38, 0)
        ) * cast(0.000001 as decimal(7, 6))
        as decimal(18, 6)
    )
