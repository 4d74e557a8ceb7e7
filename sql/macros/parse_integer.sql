-- A whole-number cell (a year, a count) as INTEGER; NULL if it is not one. Digits only: a cast
-- alone would round '12.5' to 13 and read '1e3' as 1000.
create or replace macro parse_integer(x) as
    case when regexp_full_match(trim(x), '[+-]?[0-9]+') then try_cast(trim(x) as integer) end
