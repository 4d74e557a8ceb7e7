-- A number as people here read it: '.' between thousands, ',' before decimals (1234.5 ->
-- '1.234,5'). `decimals`: exactly that many; NULL: at most 4, trailing zeros dropped. NULL -> '–'.
-- Rounded half up on the exact DECIMAL (no binary float in between). Plain expressions, no
-- subquery: a report mart formats its hundred rows in milliseconds (a subquery per call made
-- each a join: 0,15 s a mart at national scale).
create or replace macro vi_scaled(x, places) as
    -- |x| * 10^places rounded half up, as a whole number
    cast(round(abs(cast(x as decimal(38, 8))) * cast(10 ** places as hugeint), 0) as hugeint);
create or replace macro vi_fraction(x, places) as
    -- the last `places` digits of vi_scaled, zero-padded: the decimals
    lpad(cast(vi_scaled(x, places) % cast(10 ** places as hugeint) as varchar), places, '0');
create or replace macro vi_number(x, decimals) as
    case when x is null then '–' else
        case when x < 0 and vi_scaled(x, coalesce(decimals, 4)) <> 0 then '-' else '' end
        || replace(
            format('{:,}', vi_scaled(x, coalesce(decimals, 4))
                // cast(10 ** coalesce(decimals, 4) as hugeint)),
            ',', '.')
        || case
            when decimals is null and rtrim(vi_fraction(x, 4), '0') <> ''
                then ',' || rtrim(vi_fraction(x, 4), '0')
            when decimals > 0 then ',' || vi_fraction(x, decimals)
            else ''
        end
    end
