-- A number as people here read it: '.' between thousands, ',' before decimals (1234.5 ->
-- '1.234,5'). `decimals`: exactly that many; NULL: at most 4, trailing zeros dropped. NULL -> '–'.
-- Rounded half up on the exact DECIMAL (no binary float in between).
create or replace macro vi_number(x, decimals) as (
    with scale as (
        select coalesce(decimals, 4) as d, cast(10 ** coalesce(decimals, 4) as hugeint) as unit
    ),
    scaled as (
        select d, unit,
            cast(round(abs(cast(x as decimal(38, 8))) * unit, 0) as hugeint) as n,
        from scale
    ),
    parts as (
        select
            x < 0 and n <> 0 as negative,
            n // unit as whole,
            lpad(cast(n % unit as varchar), d, '0') as fraction,
        from scaled
    )
    select case when x is null then '–' else
        case when negative then '-' else '' end
        || replace(format('{:,}', whole), ',', '.')
        || case
            when decimals is null and rtrim(fraction, '0') <> '' then ',' || rtrim(fraction, '0')
            when decimals > 0 then ',' || fraction
            else ''
        end
    end
    from parts
)
