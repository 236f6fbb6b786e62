"""Where a user's files live (:mod:`.paths`), SQLite helpers (:mod:`.sqlite`) and the run history (:mod:`.runs`)."""
