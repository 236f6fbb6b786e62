"""The discrete catalogue of ML pipelines the recommender searches over."""
from automl_engine.catalogue.build import build_pipeline
from automl_engine.catalogue.enumerate import (
    TASK_TYPES,
    Catalogue,
    ExplainTraits,
    PipelineSpec,
    explain_traits,
    family_changes,
    family_costs,
    family_kinds,
    family_versions,
    load_catalogue,
    load_spec,
    task_type_of,
)

__all__ = [
    "TASK_TYPES", "Catalogue", "ExplainTraits", "explain_traits", "PipelineSpec", "build_pipeline", "family_changes",
    "family_costs", "family_kinds", "family_versions", "load_catalogue", "load_spec", "task_type_of",
]
