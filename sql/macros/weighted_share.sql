-- A combined PAR baseline: the weighted mean of the predecessors' shares of their maximum,
-- times the plan unit's maximum `m`, rounded half up to 6 places, from the aggregates
-- sum_ws = Σ scaled_int(w, 6) * share_e14(v, max) and sum_w = Σ scaled_int(w, 6). Shares are
-- v / max to 14 places (truncated); then one exact integer division:
-- round(10^6 * m * Σ w·s / Σ w) = (2 * m·10^8 * sum_ws + sum_w·10^16) // (2 * sum_w·10^16).
create or replace macro share_e14(v, max_points) as
    scaled_int(v, 8) * cast(100000000000000 as hugeint) // scaled_int(max_points, 8);
create or replace macro weighted_share(sum_ws, sum_w, m) as
    cast(
        cast(
            (2 * scaled_int(m, 8) * sum_ws + sum_w * cast(10 ** 16 as hugeint))
                // (2 * sum_w * cast(10 ** 16 as hugeint))
            as decimal(38, 0)
        ) * cast(0.000001 as decimal(7, 6))
        as decimal(18, 6)
    )
