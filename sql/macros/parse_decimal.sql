-- A number cell as DECIMAL(18, 6): decimal comma or dot, surrounding spaces ignored; NULL if not a number.
create or replace macro parse_decimal(x) as
    try_cast(replace(trim(x), ',', '.') as decimal(18, 6))
