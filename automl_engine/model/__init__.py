"""Fitted models: what is inside one (:mod:`.unwrap`), model files and cards (:mod:`.skops_io`),
prediction (:mod:`.predict`)."""
