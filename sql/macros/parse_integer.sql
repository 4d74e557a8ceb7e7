-- A whole-number cell (a year, a count) as INTEGER; NULL if it is not one.
create or replace macro parse_integer(x) as
    try_cast(trim(x) as integer)
