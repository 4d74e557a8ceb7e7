-- True when a score cell says the criterion does not apply: "Không áp dụng", "KAD" or "N/A".
create or replace macro is_not_applicable(x) as
    coalesce(
        lower(nfc_normalize(trim(x))) in ('không áp dụng', 'khong ap dung', 'kad', 'n/a', 'na'),
        false
    )
