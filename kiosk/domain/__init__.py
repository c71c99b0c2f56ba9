"""Pure domain logic: identity numbers, card states, working days and holiday schedules,
region time, masking, receipts. No I/O; the standard library and i18n only."""
