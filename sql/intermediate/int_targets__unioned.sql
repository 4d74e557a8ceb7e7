-- One row per criterion per appendix across the three indexes, before owners and status.
-- Reads: int_par__targets, int_sipas__targets, int_papi__targets.
with par as (
    select * from int_par__targets
),

sipas as (
    select * from int_sipas__targets
),

papi as (
    select * from int_papi__targets
),

final as (
    select * from par
    union all by name
    select * from sipas
    union all by name
    select * from papi
)

select * from final
