-- A name as a matching key: NFC, no diacritics, Đ/đ folded to d, lower case, single spaces.
create or replace macro fold_key(x) as
    regexp_replace(
        lower(strip_accents(replace(replace(nfc_normalize(trim(x)), 'Đ', 'D'), 'đ', 'd'))),
        '\s+', ' ', 'g'
    )
