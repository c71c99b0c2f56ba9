"""Pure domain logic: identity numbers, card states, working days, masking. No I/O."""
