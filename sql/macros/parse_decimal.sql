-- A number cell as DECIMAL(20, 8) (published PAPI scores carry 7 places): decimal comma or dot, surrounding spaces ignored; NULL if not a number.
create or replace macro parse_decimal(x) as
    try_cast(replace(trim(x), ',', '.') as decimal(20, 8))
