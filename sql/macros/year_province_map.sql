-- The province map a PAPI year is scored on unless its extract says otherwise (province_map):
-- the 63 provinces up to 2024, the 34 from 2025 (Resolution 202/2025/QH15, from 1 Jul 2025).
create or replace macro year_province_map(year) as case when year <= 2024 then 63 else 34 end
