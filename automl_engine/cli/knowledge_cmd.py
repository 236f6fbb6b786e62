"""``automl knowledge info | build | export`` and ``automl catalogue``."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import numpy as np

from automl_engine.catalogue import family_costs, family_versions, load_catalogue
from automl_engine.cli.progress import ProgressBar
from automl_engine.errors import DataError
from automl_engine.evaluation import Evaluator, Limits
from automl_engine.knowledge.artifact import (
    STATUS_CODES,
    data_dir,
    knowledge_from_store,
    load_knowledge,
    save_knowledge,
)
from automl_engine.knowledge.build import (
    BuildSettings,
    build_knowledge,
    fidelity_origin,
    seed_store_from_knowledge,
)
from automl_engine.knowledge.corpus import load_corpus_table
from automl_engine.knowledge.fidelity import FIDELITY_USES, base_name, second_fidelity_path
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.store.paths import user_data_dir
from automl_engine.task import Task

TASK_TYPES = ("classification", "regression")
AT_ROWS = 5000  # info's datasets_at_5000_rows: datasets with a score measured on this many rows or more


def add_parsers(sub) -> None:
    cat = sub.add_parser("catalogue", help="sizes and families of the pipeline catalogue")
    cat.add_argument("--json", action="store_true")
    cat.set_defaults(handler=cmd_catalogue)
    know = sub.add_parser("knowledge", help="the meta-knowledge the recommender learns from")
    ksub = know.add_subparsers(dest="knowledge_command", required=True)
    info = ksub.add_parser(
        "info", help="datasets, pipelines and density per task type",
        description="Datasets (meta-train / meta-test), pipelines, density and build cost per task type. "
                    f"datasets_at_{AT_ROWS}_rows counts datasets with a score measured on {AT_ROWS:,} rows or "
                    "more: read from the artifact's measured_rows when it records them, otherwise derived "
                    "from the build's sample-size rule (each dataset evaluated on min(its rows, "
                    f"{BuildSettings.max_rows}) rows) and the dataset's rows (its n_rows meta-feature); "
                    "measured_rows_source says which.")
    info.add_argument("--json", action="store_true")
    info.add_argument("--dir", type=Path, default=None,
                      help="folder of the knowledge files (default: the package's)")
    info.set_defaults(handler=cmd_info)
    build = ksub.add_parser("build", help="evaluate catalogue pipelines on the corpus (offline, resumable)")
    build.add_argument("--store", type=Path, default=None, help="SQLite store (default: in the user data folder)")
    build.add_argument("--task-type", choices=TASK_TYPES + ("all",), default="all")
    build.add_argument("--split", choices=("train", "test", "all"), default="all")
    build.add_argument("--limit", type=int, default=None, help="at most this many datasets")
    build.add_argument("--n-jobs", type=int, default=2)
    build.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    build.add_argument("--max-rows", type=int, default=BuildSettings.max_rows)
    build.add_argument("--density", type=float, default=BuildSettings.density)
    build.add_argument("--fidelity-rows", type=int, default=BuildSettings.fidelity_rows,
                       help="datasets with this many rows or more are also evaluated on a sample of this many "
                            "rows, anchor pipelines only, into their own file (0: not)")
    build.add_argument("--fidelity-first", action="store_true",
                       help="evaluate the second fidelity first, then the first fidelity of its datasets, then the "
                            "rest (the same evaluations, in another order)")
    build.add_argument("--timeout", type=float, default=60.0, help="seconds per evaluation")
    build.add_argument("--memory-mb", type=int, default=4096)
    build.add_argument("--export-every", type=float, default=0,
                       help="export the artifact every N seconds (0: at the end)")
    build.add_argument("--out", type=Path, default=None,
                       help="folder for the exported artifact (default: the package's)")
    build.set_defaults(handler=cmd_build)
    export = ksub.add_parser("export", help="write the shipped artifact from a build store")
    export.add_argument("--store", type=Path, default=None)
    export.add_argument("--out", type=Path, default=None)
    export.set_defaults(handler=cmd_export)
    fit = ksub.add_parser("fit", help="fit the shipped PMF recommender on the meta-train rows of the artifact")
    fit.add_argument("--out", type=Path, default=None, help="folder of the artifact (default: the package's)")
    fit.add_argument("--n-latent", type=int, default=20)
    fit.add_argument("--n-iter", type=int, default=None,
                     help="GP-LVM refinement steps (default: each task type's, "
                          "SHIPPED_PARAMS in knowledge/recommender_io.py)")
    fit.add_argument("--fidelity-use", choices=FIDELITY_USES, default=None,
                     help="how the second fidelity's scores (the <task type>_at_5000_rows.npz files) enter the "
                          "training matrix of the recommender for tables of 5,000 rows or more (default: "
                          "SHIPPED_FIDELITY_USE in knowledge/recommender_io.py; 'first': one recommender for all)")
    fit.set_defaults(handler=cmd_fit_recommender)


def default_store_path() -> Path:
    return user_data_dir() / "knowledge-build.sqlite"


def cmd_catalogue(args) -> int:
    out = {}
    for task_type in TASK_TYPES:
        catalogue = load_catalogue(task_type)
        families = {}
        for family in catalogue.families:
            families[family] = families.get(family, 0) + 1
        out[task_type] = {"pipelines": len(catalogue), "version": catalogue.version, "families": families,
                          "since": family_versions(task_type), "cost_exponents": family_costs(task_type)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for task_type, info in out.items():
            print(f"{task_type}: {info['pipelines']} pipelines (catalogue {info['version']})")
            print(f"  {'family':<24}{'pipelines':>9}  {'since':<7} cost ~ rows^a x cols^b")
            for family, count in info["families"].items():
                cost = info["cost_exponents"][family]
                print(f"  {family:<24}{count:>9}  {info['since'][family]:<7} a={cost['rows']:g} b={cost['cols']:g}")
    return 0


def measured_rows(path: Path, knowledge) -> tuple[np.ndarray, str]:
    """Rows each (dataset, pipeline) score was measured on, and where that figure comes from.

    The artifact's ``measured_rows`` field when it has one (datasets x pipelines, in the file's
    column order); otherwise the build's rule: every score of a dataset on min(its rows,
    ``BuildSettings.max_rows``) rows, its rows being the ``n_rows`` meta-feature.
    """
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            if "measured_rows" in data.files:
                return np.asarray(data["measured_rows"], dtype=float), "artifact"
    names = [str(n) for n in knowledge.meta_feature_names]
    rows = knowledge.meta_features[:, names.index("n_rows")] if "n_rows" in names else np.zeros(len(knowledge.datasets))
    per_dataset = np.minimum(np.nan_to_num(rows, nan=0.0), BuildSettings.max_rows)
    return np.broadcast_to(per_dataset[:, None], knowledge.status.shape), \
        f"build rule: min(rows, {BuildSettings.max_rows})"


def info_summary(task_type: str, folder: Path | None = None, fidelity_rows: int = BuildSettings.fidelity_rows) -> dict:
    """``Knowledge.summary()`` plus the catalogue size and the datasets measured at >= 5,000 rows."""
    path = (folder or data_dir()) / f"{task_type}.npz"
    summary = load_knowledge(task_type, path).summary()  # aligned to the catalogue, as before
    summary["catalogue_pipelines"] = len(load_catalogue(task_type))
    knowledge = load_knowledge(task_type, path, align=False)  # the file's own columns, as measured_rows
    rows, source = measured_rows(path, knowledge)
    observed = knowledge.status != STATUS_CODES["unobserved"]
    at_rows = (np.where(observed, rows, 0) >= AT_ROWS).any(axis=1) if observed.size else np.zeros(0, bool)
    names = [str(n) for n in knowledge.meta_feature_names]
    table_rows = knowledge.meta_features[:, names.index("n_rows")] if "n_rows" in names else np.zeros(0)
    at_names = {str(name) for name in np.asarray(knowledge.datasets)[at_rows]}
    second = second_fidelity_path(folder or data_dir(), task_type, fidelity_rows)
    if second.exists():  # the second fidelity's file records its rows
        sampled = load_knowledge(task_type, second, align=False)
        rows_there, _ = measured_rows(second, sampled)
        seen = (sampled.status != STATUS_CODES["unobserved"]) & (rows_there >= AT_ROWS)
        at_names |= {base_name(str(name)) for name in np.asarray(sampled.datasets)[seen.any(axis=1)]}
        source += f"; {second.name}: artifact"
    summary[f"datasets_at_{AT_ROWS}_rows"] = len(at_names)
    summary[f"datasets_with_{AT_ROWS}_rows"] = int((np.nan_to_num(table_rows) >= AT_ROWS).sum())
    summary["measured_rows_source"] = source
    return summary


def cmd_info(args) -> int:
    out = {task_type: info_summary(task_type, args.dir) for task_type in TASK_TYPES}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    at = f"at{AT_ROWS // 1000}k"
    print(f"{'task type':<16}{'datasets':>10}{'train':>7}{'test':>6}"
          f"{'pipelines':>11}{'observed':>10}{'density':>9}{'CPU-h':>8}{at:>7}")
    for task_type, s in out.items():
        print(f"{task_type:<16}{s['datasets']:>10}{s['meta_train_datasets']:>7}{s['meta_test_datasets']:>6}"
              f"{s['pipelines']:>11}{s['observed']:>10}{s['density']:>9.3f}{s['build_cpu_hours']:>8.2f}"
              f"{s[f'datasets_at_{AT_ROWS}_rows']:>7}")
    print(f"{at}: datasets with a score measured on >= {AT_ROWS:,} rows "
          f"({next(iter(out.values()))['measured_rows_source']})")
    return 0


def export(store: KnowledgeStore, out_dir: Path, rows: int = BuildSettings.fidelity_rows) -> dict:
    """The store's corpus rows to ``{task_type}.npz``, its second-fidelity rows (sampled to ``rows``; if any)
    to their own file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for task_type in TASK_TYPES:
        catalogue = load_catalogue(task_type)
        knowledge = knowledge_from_store(store, catalogue, origin="corpus")
        save_knowledge(knowledge, out_dir / f"{task_type}.npz")
        summary[task_type] = knowledge.summary()
        second = knowledge_from_store(store, catalogue, origin=fidelity_origin(rows))
        if len(second.datasets):
            save_knowledge(second, second_fidelity_path(out_dir, task_type, rows),
                           measured_rows=np.full(second.status.shape, rows))
            summary[task_type][f"datasets_at_{rows}_rows"] = len(second.datasets)
    return summary


def cmd_export(args) -> int:
    store_path = args.store or default_store_path()
    if not store_path.exists():
        raise DataError(f"there is no build store at {store_path}; run 'automl knowledge build' first or pass --store")
    summary = export(KnowledgeStore(store_path), args.out or data_dir())
    print(json.dumps(summary, indent=2))
    return 0


def cmd_fit_recommender(args) -> int:
    from automl_engine.knowledge.recommender_io import (
        LARGE_TABLE_ROWS,
        SHIPPED_FIDELITY_USE,
        fit_recommender,
        recommender_path,
        save_recommender,
        training_knowledge,
    )

    folder = Path(args.out or data_dir())
    for task_type in TASK_TYPES:
        large_use = args.fidelity_use or SHIPPED_FIDELITY_USE[task_type]
        large_path = recommender_path(task_type, folder, large=True)
        fits = [("first", recommender_path(task_type, folder))]
        if large_use != "first" and second_fidelity_path(folder, task_type).exists():
            fits.append((large_use, large_path))
        else:
            large_path.unlink(missing_ok=True)  # large tables get the recommender of every size
        for use, path in fits:
            knowledge = training_knowledge(task_type, folder, use)
            if knowledge.train.sum() < 3:
                print(f"{task_type}: fewer than 3 meta-train datasets; no recommender fitted")
                break
            start = time.perf_counter()
            recommender = fit_recommender(knowledge, n_latent=args.n_latent, n_iter=args.n_iter)
            save_recommender(recommender, path)
            which = f" for tables of {LARGE_TABLE_ROWS:,} rows or more (second fidelity: {use})" \
                if path == large_path else ""
            print(f"{task_type}{which}: fitted on {int(knowledge.train.sum())} datasets x "
                  f"{len(knowledge.pipeline_ids)} pipelines in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_build(args) -> int:
    logging.basicConfig(level=logging.WARNING)
    corpus = table = load_corpus_table()
    if args.task_type != "all":
        wanted = ("regression",) if args.task_type == Task.REGRESSION else ("binary", "multiclass")
        table = table[table["task"].isin(wanted)]
    if args.split != "all":
        table = table[table["split"] == args.split]
    table = order_for_build(table)
    if args.limit:
        table = table.head(args.limit)
    store = KnowledgeStore(args.store or default_store_path())
    out_dir = args.out or data_dir()
    settings = BuildSettings(max_rows=args.max_rows, density=args.density, fidelity_rows=args.fidelity_rows,
                             fidelity_first=args.fidelity_first)
    for task_type in TASK_TYPES:  # every shipped dataset, not only the ones built now: the export keeps them all
        seeded = seed_store_from_knowledge(store, load_knowledge(task_type, out_dir / f"{task_type}.npz"), corpus)
        second = second_fidelity_path(out_dir, task_type, settings.fidelity_rows)
        if second.exists():
            seeded += seed_store_from_knowledge(store, load_knowledge(task_type, second), corpus,
                                                origin=fidelity_origin(settings.fidelity_rows))
        if seeded:
            print(f"resumed {seeded} {task_type} evaluations from the shipped artifact")
    stop = threading.Event()
    bar = ProgressBar(total=0, unit="evaluations (dataset × pipeline)")
    last_export = [time.monotonic()]

    def on_progress(p) -> None:
        bar.total = p.total
        bar.update(p.done, f"{p.dataset} {p.status}", eta=p.eta_seconds)
        if args.export_every and time.monotonic() - last_export[0] > args.export_every:
            export(store, out_dir, settings.fidelity_rows)
            last_export[0] = time.monotonic()

    with Evaluator(n_jobs=args.n_jobs, dask_address=args.scheduler,
                   limits=Limits(timeout=args.timeout, memory_mb=args.memory_mb)) as evaluator:
        try:
            ran = build_knowledge(store, table, evaluator, settings, progress=on_progress, stop=stop)
        except KeyboardInterrupt:
            stop.set()
            ran = -1
    bar.close()
    summary = export(store, out_dir, settings.fidelity_rows)
    print(f"ran {ran} evaluations; store {store.path} holds {store.count()}")
    print(json.dumps(summary, indent=2))
    return 0


def order_for_build(table):
    """Small datasets first, classification and regression interleaved, so partial builds are balanced."""
    table = table.copy()
    table["_is_reg"] = table["task"] == Task.REGRESSION
    table["_rank"] = table.groupby("_is_reg")["rows"].rank(method="first")
    return table.sort_values(["_rank", "_is_reg"]).drop(columns=["_is_reg", "_rank"])
