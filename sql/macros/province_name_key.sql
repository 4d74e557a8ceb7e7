-- A province name as a key: fold_key without a "Tỉnh"/"Thành phố"/"TP." prefix, spaces or
-- hyphens ('TP. Hồ Chí Minh' and 'Hồ Chí Minh' -> 'hochiminh'; 'Bà Rịa–Vũng Tàu' -> 'bariavungtau').
create or replace macro province_name_key(x) as
    regexp_replace(
        regexp_replace(fold_key(x), '^(tinh|thanh pho|tp\.?)\s*', ''), '[^a-z0-9]+', '', 'g'
    )
