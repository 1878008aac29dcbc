"""Virtual trials: a generated cohort x arms (controller, therapy rule, devices) x seeded scenarios.

The design is a crossover: every patient goes through every arm with the same
meals (:meth:`glucostat.Scenario.random_days`, seeded per patient) and the same
sensor noise, so arms differ only by what the arm changes. Patients are split
into chunks; a chunk is one unit of work (its therapies are derived once and
reused by every arm), run in this process or on a Dask cluster
(``scheduler="ADDRESS"``, or a ``distributed.Client``). Every random draw
depends only on (trial seed, patient index), so a chunk computes the same
numbers wherever it runs: local and cluster runs give identical results.
Failed tasks are retried (``retries``) and Dask re-runs the tasks of lost
workers; results are collected by chunk, and the run checks that every patient
appears exactly once per arm.

Outputs: per-patient consensus metrics (:meth:`TrialResults.per_patient`), a
summary per arm with 95 % confidence intervals of the mean (Student t over
patients), paired differences from the first arm (the reference) with their
confidence intervals, and a Parquet dataset partitioned by arm
(:meth:`TrialResults.write`). Memory is estimated before any work and runs that
would exceed the limit are refused with the estimate shown.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .cohorts import COHORT_NAMES, generate_cohort
from .control import CONTROLLERS
from .devices import CGM_PRESETS, PUMP_PRESETS
from .errors import InvalidInputError, UnknownNameError
from .scenario import Metformin
from .therapy import METHODS

#: Bytes a trial may hold at once (results and the chunks in flight) before it is refused.
DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024**3
#: Metrics summarised per arm (per-patient values are all kept).
SUMMARY_METRICS = ("Time in range 70-180 [%]", "Time below 70 [%]", "Time below 54 [%]", "Time above 180 [%]",
                   "Time above 250 [%]", "Mean glucose [mg/dL]", "Coefficient of variation [%]", "GMI [%]",
                   "LBGI [1]", "HBGI [1]", "Total insulin [U]")
# Memory model (measured: 1,000 patients x 14 days x 2 arms in chunks of 500 peaked at 0.76 GB RSS):
_N_METRICS = 25  # per-patient columns (metrics, therapy, labels), 16 bytes each with table overhead
_RECORDS_PER_STEP = 30  # float64 arrays per patient and control instant while a chunk runs (records,
#                         sensor traces, packed scenarios and the metric temporaries)
_BASELINE_BYTES = 400 * 1024**2  # interpreter, NumPy/pandas/numba and the compiled kernels

#: Adjunct drug regimens an arm adds to every day of its patients' scenarios: name -> (description, daily
#: events at clock times within the first day).
DRUG_REGIMENS = {
    "none": ("no adjunct drug", ()),
    "metformin": ("metformin 1000 mg at 08:00 and 20:00, the adjunct regimen of the REMOVAL trial in type 1 "
                  "diabetes (Petrie JR et al. Lancet Diabetes Endocrinol 2017;5:597-609: insulin dose -1.2 U/day)",
                  (Metformin(time="08:00", dose_mg=1000.0), Metformin(time="20:00", dose_mg=1000.0))),
}


def drug_scenario(scenario, drug: str, days: int):
    """``scenario`` with the daily events of the drug regimen ``drug`` (:data:`DRUG_REGIMENS`) on each of
    ``days`` days, merged in time order (the same meals; the drug only adds events)."""
    if drug not in DRUG_REGIMENS:
        raise UnknownNameError("arm drug", drug, DRUG_REGIMENS)
    daily = DRUG_REGIMENS[drug][1]
    return scenario.with_daily(daily, days, name=f"{scenario.name} + {drug}") if daily else scenario


@dataclass(frozen=True)
class Arm:
    """One arm: the controller (a built-in name), how the therapy is derived, the devices, and an
    adjunct drug regimen (:data:`DRUG_REGIMENS`; arms with a drug run on the full organ model)."""

    name: str
    controller: str = "basal-bolus"
    therapy: str = "meal-test"
    cgm: str = "GuardianRT"
    pump: str = "generic"
    drug: str = "none"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "/" in self.name or "=" in self.name:
            raise InvalidInputError("arm name", self.name, "a non-empty name without '/' or '='")
        if self.controller not in CONTROLLERS:
            raise UnknownNameError("arm controller", self.controller, CONTROLLERS)
        if self.therapy not in METHODS:
            raise UnknownNameError("arm therapy", self.therapy, METHODS)
        if self.cgm not in CGM_PRESETS:
            raise UnknownNameError("arm cgm", self.cgm, CGM_PRESETS)
        if self.pump not in PUMP_PRESETS:
            raise UnknownNameError("arm pump", self.pump, PUMP_PRESETS)
        if self.drug not in DRUG_REGIMENS:
            raise UnknownNameError("arm drug", self.drug, DRUG_REGIMENS)

    @classmethod
    def parse(cls, spec: str) -> "Arm":
        """``"pid"`` (a controller name) or ``"name=tuned,controller=pid,cgm=Dexcom"``."""
        if "=" not in spec:
            return cls(name=spec.strip(), controller=spec.strip())
        fields = {}
        for part in spec.split(","):
            key, sep, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in cls.__dataclass_fields__:
                raise InvalidInputError("arm", spec, f"comma-separated key=value with keys "
                                        f"{', '.join(cls.__dataclass_fields__)}")
            fields[key] = value.strip()
        fields.setdefault("name", fields.get("controller", "basal-bolus"))
        return cls(**fields)


@dataclass(frozen=True)
class Trial:
    """A virtual trial: ``n`` patients of ``cohort`` (seeded), ``days`` of random meals, ``arms``."""

    cohort: str = "t1d-adult"
    n: int = 20
    days: int = 3
    seed: int = 0
    arms: tuple[Arm, ...] = (Arm("basal-bolus"),)
    chunk_size: int = 50
    warmup_days: int = 0

    def __post_init__(self):
        if self.cohort not in COHORT_NAMES:
            raise UnknownNameError("cohort", self.cohort, COHORT_NAMES)
        for f, lo, hi in (("n", 1, 1_000_000), ("days", 1, 366), ("chunk_size", 1, 100_000), ("warmup_days", 0, 30)):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise InvalidInputError(f, v, f"an integer from {lo} to {hi}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise InvalidInputError("seed", self.seed, "a non-negative integer")
        arms = tuple(Arm.parse(a) if isinstance(a, str) else a for a in self.arms)
        if not arms:
            raise InvalidInputError("arms", self.arms, "at least one arm")
        names = [a.name for a in arms]
        if len(set(names)) != len(names):
            raise InvalidInputError("arms", names, "arms with distinct names")
        object.__setattr__(self, "arms", arms)

    def chunks(self) -> list[tuple[int, int]]:
        """Patient index ranges [start, stop), one unit of work each."""
        return [(s, min(s + self.chunk_size, self.n)) for s in range(0, self.n, self.chunk_size)]

    def estimate_bytes(self, workers: int = 1) -> int:
        """Peak memory [bytes]: per-patient results, plus ``workers`` chunks in flight."""
        steps = max(int(self.days * 1440 / min(CGM_PRESETS[a.cgm].sample_time_min for a in self.arms)) + 1, 1)
        per_chunk = min(self.chunk_size, self.n) * steps * _RECORDS_PER_STEP * 8
        results = self.n * len(self.arms) * _N_METRICS * 16
        return int(_BASELINE_BYTES + results + max(1, workers) * per_chunk)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["arms"] = [asdict(a) for a in self.arms]
        return d


def patient_scenario(trial: Trial, index: int):
    """Patient ``index``'s meals: random days seeded by (trial seed, index), the same in every arm."""
    from .scenario import Scenario

    seed = int(np.random.SeedSequence([trial.seed, zlib.crc32(b"meals"), index]).generate_state(1)[0] >> 1)
    return Scenario.random_days(days=trial.days, seed=seed)


_TEXT_COLUMNS = ("Patient", "Group", "Arm", "Status")


def run_chunk(trial: Trial, start: int, stop: int):
    """Run patients ``start:stop`` through every arm: a table with one row per (arm, patient).

    A pure function of its arguments (the unit of work sent to Dask workers)."""
    import pandas as pd

    import glucostat  # noqa: F401  (workers: compiled kernels from the package's cache)

    from .batch import simulate_closed_loop_batch

    cohort = generate_cohort(trial.cohort, stop - start, seed=trial.seed, start=start)
    patients, groups, labels = list(cohort.patients), list(cohort.groups), list(cohort.labels)
    scenarios = [patient_scenario(trial, i) for i in range(start, stop)]
    therapies = {m: cohort.therapies(m) for m in sorted({a.therapy for a in trial.arms})}
    frames = []
    for arm in trial.arms:
        th = therapies[arm.therapy]
        arm_scenarios = [drug_scenario(sc, arm.drug, trial.days) for sc in scenarios]
        res = simulate_closed_loop_batch(patients, arm_scenarios, arm.controller, th, cgm=arm.cgm, pump=arm.pump,
                                         seed=trial.seed, warmup_days=trial.warmup_days,
                                         patient_indices=range(start, stop))
        ids = pd.DataFrame({"Patient index": np.arange(start, stop, dtype=np.int64), "Patient": labels,
                            "Group": groups, "Arm": arm.name, "Status": list(res.status)})
        therapy = pd.DataFrame({"Basal rate [U/h]": [t.basal_u_per_h for t in th],
                                "Carb ratio [g/U]": [t.carb_ratio_g_per_u for t in th],
                                "Correction factor [mg/dL/U]": [t.correction_factor_mg_dl_per_u for t in th]})
        frames.append(pd.concat([ids, res.metrics("cgm").reset_index(drop=True), therapy], axis=1))
    frame = pd.concat(frames, ignore_index=True)
    for k in _TEXT_COLUMNS:  # compact labels
        frame[k] = frame[k].astype("category")
    return frame


def _t_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lower, upper): Student t confidence interval of the mean."""
    from scipy import stats

    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class TrialResults:
    """Per-patient metrics of every arm, and what the trial was."""

    trial: Trial
    table: "object" = field(repr=False)  # pandas DataFrame, one row per (arm, patient)

    def per_patient(self):
        """The per-patient table (rows: arm x patient), units in the column names."""
        return self.table

    def summary(self, level: float = 0.95):
        """Per arm and metric: mean and confidence interval over patients; for the other arms,
        the paired difference from the first arm (same patients, same meals, same noise)."""
        import pandas as pd

        rows = []
        t = self.table
        ref_name = self.trial.arms[0].name
        ref = t[t["Arm"] == ref_name].set_index("Patient index")
        for arm in self.trial.arms:
            a = t[t["Arm"] == arm.name].set_index("Patient index")
            for metric in SUMMARY_METRICS:
                mean, lo, hi = _t_ci(a[metric].to_numpy(float), level)
                row = {"Arm": arm.name, "Metric": metric, "Mean": mean, "CI low": lo, "CI high": hi,
                       "Patients [1]": int(np.isfinite(a[metric].to_numpy(float)).sum())}
                if arm.name != ref_name:
                    d = (a[metric] - ref[metric].reindex(a.index)).to_numpy(float)
                    row["Difference from " + ref_name], row["Difference CI low"], row["Difference CI high"] = \
                        _t_ci(d, level)
                rows.append(row)
        return pd.DataFrame(rows).set_index(["Arm", "Metric"])

    def to_dict(self) -> dict:
        s = self.summary()
        arms = {}
        for (arm, metric), row in s.iterrows():
            arms.setdefault(arm, {})[metric] = {k: (None if not math.isfinite(v) else float(v))
                                                 for k, v in row.items() if isinstance(v, (int, float))}
        return {"trial": self.trial.to_dict(), "arms": arms,
                "failed patients [1]": int((self.table["Status"] != "ok").sum())}

    def write(self, out: str | Path) -> Path:
        """Write ``patients/`` (Parquet dataset partitioned by arm, hive style ``Arm=NAME``),
        ``summary.csv`` and ``trial.json`` into ``out``."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(self.table, preserve_index=False)
        ds.write_dataset(table, out / "patients", format="parquet", partitioning=["Arm"],
                         partitioning_flavor="hive", existing_data_behavior="delete_matching")
        self.summary().to_csv(out / "summary.csv")
        (out / "trial.json").write_text(json.dumps(self.to_dict(), indent=2))
        return out


def _client(scheduler):
    if scheduler is None:
        return None
    try:
        from distributed import Client
    except ModuleNotFoundError:  # pragma: no cover - depends on the installation
        raise ModuleNotFoundError("running on a cluster needs Dask: pip install 'glucostat[cluster]'") from None
    if isinstance(scheduler, Client):
        return scheduler
    return Client(scheduler)


def run_trial(trial: Trial, scheduler=None, progress: bool = False, retries: int = 2,
              memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES) -> TrialResults:
    """Run a trial locally (``scheduler=None``) or on Dask (an address or a ``distributed.Client``).

    Results are identical for the same trial wherever it runs."""
    import pandas as pd

    client = _client(scheduler)
    workers = len(client.scheduler_info()["workers"]) if client is not None else 1
    need = trial.estimate_bytes(workers)
    if need > memory_limit_bytes:
        raise InvalidInputError(
            "trial size", f"{trial.n} patients x {len(trial.arms)} arms x {trial.days} days ~ {need / 1024**3:.2f} GiB",
            f"at most {memory_limit_bytes / 1024**3:.2f} GiB (a smaller chunk_size, fewer patients or days)")
    chunks = trial.chunks()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=trial.n, desc="trial", unit="patient", disable=None)
    parts: dict = {}
    if client is None:
        for start, stop in chunks:
            parts[start] = run_chunk(trial, start, stop)
            if bar is not None:
                bar.update(stop - start)
    else:
        from distributed import as_completed

        futures = {client.submit(run_chunk, trial, start, stop, retries=retries, pure=True): (start, stop)
                   for start, stop in chunks}
        for fut in as_completed(futures):
            start, stop = futures[fut]
            parts[start] = fut.result()
            if bar is not None:
                bar.update(stop - start)
    if bar is not None:
        bar.close()
    table = pd.concat([parts.pop(s) for s, _ in chunks], ignore_index=True)
    for k in _TEXT_COLUMNS:
        table[k] = table[k].astype(str)
    arm_order = {a.name: k for k, a in enumerate(trial.arms)}
    table = table.sort_values(["Arm", "Patient index"], key=lambda c: c.map(arm_order) if c.name == "Arm" else c,
                              kind="stable", ignore_index=True)
    counts = table.groupby("Arm")["Patient index"].agg(["nunique", "size"])
    if not ((counts["nunique"] == trial.n) & (counts["size"] == trial.n)).all():
        raise RuntimeError(f"trial bookkeeping: patients per arm {counts.to_dict()} != {trial.n}")
    return TrialResults(trial, table)


__all__ = ["Arm", "Trial", "TrialResults", "run_trial", "run_chunk", "patient_scenario", "SUMMARY_METRICS"]
