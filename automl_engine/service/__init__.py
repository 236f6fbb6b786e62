"""Background searches with a server-wide worker limit, shared by the app and the CLI (:mod:`.jobs`)."""
