-- A date cell as people write it: '15/3/2024' (dd/mm/yyyy), '2024-03-15', or an XLSX date
-- read as '2024-03-15 00:00:00'; null when it is none of these, or no such day.
create or replace macro parse_date(x) as
    coalesce(try_strptime(trim(x), '%d/%m/%Y'),
             try_strptime(trim(x), '%Y-%m-%d'),
             try_strptime(trim(x), '%Y-%m-%d %H:%M:%S'))::date
