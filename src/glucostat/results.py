"""Simulation results: time, named variables with units, status and provenance."""

from __future__ import annotations

import json
import os
import tempfile
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .errors import InvalidInputError, UnknownNameError
from .model import OUTPUT_VARIABLES, STATE_VARIABLES, F, S, Variable
from .units import PMOL_PER_U

TIME_COLUMN = "Time [min]"
PATIENT_COLUMN = "Patient"

#: Every variable a Results object carries, by public column name.
VARIABLES: Mapping[str, Variable] = {v.column: v for v in OUTPUT_VARIABLES + STATE_VARIABLES}


@dataclass(frozen=True)
class Results:
    """What a simulation produced.

    Attributes
    ----------
    time_min : (n,) sample times [min].
    patients : patient labels, one per simulated patient.
    outputs : (n_patients, n, N_OUTPUTS) concentrations and organ fluxes
        (:data:`glucostat.model.OUTPUT_VARIABLES`).
    states : (n_patients, n, N_STATES) model states
        (:data:`glucostat.model.STATE_VARIABLES`).
    status : per patient, ``"ok"`` or the reason the integration stopped.
    body_weight_kg : per patient.
    provenance : model, parameter sets, overrides, scenario, solver, version.
    """

    time_min: np.ndarray
    patients: tuple[str, ...]
    outputs: np.ndarray = field(repr=False)
    states: np.ndarray = field(repr=False)
    status: tuple[str, ...]
    body_weight_kg: tuple[float, ...]
    provenance: Mapping = field(repr=False, default_factory=dict)

    # ------------------------------------------------------------------ access
    @property
    def ok(self) -> bool:
        """True when every patient's integration completed."""
        return all(s == "ok" for s in self.status)

    def shifted(self, minutes: float) -> "Results":
        """The same run with its clock moved by ``minutes`` (-10: time 0 after a 10-min baseline)."""
        return dataclasses.replace(self, time_min=self.time_min + float(minutes))

    @property
    def columns(self) -> list[str]:
        """Public variable names, with units."""
        return list(VARIABLES)

    def _index(self, patient) -> int:
        if isinstance(patient, int) and 0 <= patient < len(self.patients):
            return patient
        if patient in self.patients:
            return self.patients.index(patient)
        raise UnknownNameError("patient", patient, self.patients)

    def get(self, column: str, patient: int | str = 0) -> np.ndarray:
        """One variable over time for one patient, e.g. ``res.get("Plasma glucose [mg/dL]")``."""
        if column not in VARIABLES:
            raise UnknownNameError("column", column, VARIABLES)
        i = self._index(patient)
        key = VARIABLES[column].key
        if key in F.__members__:
            return self.outputs[i, :, F[key]]
        return self.states[i, :, S[key]]

    def __getitem__(self, column: str) -> np.ndarray:
        """A variable for all patients: shape (n,) for one patient, else (n_patients, n)."""
        if len(self.patients) == 1:
            return self.get(column, 0)
        return np.stack([self.get(column, i) for i in range(len(self.patients))])

    def to_pandas(self, columns: Sequence[str] | None = None):
        """A DataFrame indexed by ``Time [min]`` (and ``Patient`` when several).

        Columns carry their units, e.g. ``"Plasma glucose [mg/dL]"``.
        """
        import pandas as pd

        cols = list(VARIABLES) if columns is None else list(columns)
        for c in cols:
            if c not in VARIABLES:
                raise UnknownNameError("columns", c, VARIABLES)
        frames = []
        for i, name in enumerate(self.patients):
            data = {c: self.get(c, i) for c in cols}
            df = pd.DataFrame(data, index=pd.Index(self.time_min, name=TIME_COLUMN))
            if len(self.patients) > 1:
                df.insert(0, PATIENT_COLUMN, name)
            frames.append(df)
        if len(frames) == 1:
            return frames[0]
        return pd.concat(frames).reset_index().set_index([PATIENT_COLUMN, TIME_COLUMN])

    # ------------------------------------------------------------------ summaries
    def summary(self):
        """Per-patient table: fasting, mean and peak glucose, peak insulin, and
        how much glucose each organ handled over the simulation (grams)."""
        import pandas as pd

        rows = []
        t = self.time_min
        for i, name in enumerate(self.patients):
            bw = self.body_weight_kg[i]
            g = self.get("Plasma glucose [mg/dL]", i)
            ins = self.get("Plasma insulin [pmol/L]", i)
            st = self.states[i]
            d = st[-1] - st[0]
            jmax = int(np.nanargmax(g)) if np.isfinite(g).any() else 0
            rows.append({
                "Patient": name,
                "Status": self.status[i],
                "Initial plasma glucose [mg/dL]": g[0],
                "Mean plasma glucose [mg/dL]": float(np.trapezoid(g, t) / (t[-1] - t[0])) if t[-1] > t[0] else g[0],
                "Peak plasma glucose [mg/dL]": g[jmax],
                "Time of peak glucose [min]": t[jmax],
                "Minimum plasma glucose [mg/dL]": float(np.nanmin(g)),
                "Peak plasma insulin [pmol/L]": float(np.nanmax(ins)),
                "Glucose eaten [g]": d[S.cum_ingested] / 1000.0,
                "Gut glucose absorption [g]": d[S.cum_ra] * bw / 1000.0,
                "Liver glucose production [g]": d[S.cum_egp] * bw / 1000.0,
                "Brain glucose uptake [g]": d[S.cum_uii] * bw / 1000.0,
                "Muscle and fat glucose uptake [g]": d[S.cum_uid] * bw / 1000.0,
                "Liver uptake of plasma glucose [g]": d[S.cum_hepatic_plasma_uptake] * bw / 1000.0,
                "Urinary glucose excretion [g]": d[S.cum_renal] * bw / 1000.0,
                "IV glucose [g]": d[S.cum_iv_glucose] * bw / 1000.0,
                "Insulin secreted [U]": d[S.cum_insulin_secretion] * bw / PMOL_PER_U,
            })
        return pd.DataFrame(rows).set_index("Patient")

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the table to ``.parquet`` (with provenance metadata) or ``.csv``.

        The file is written to a temporary name and renamed, so a failure never
        leaves a partial file behind.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise InvalidInputError("path", str(path), "a file name ending in .parquet or .csv")
        df = self.to_pandas().reset_index()
        if len(self.patients) == 1:
            df.insert(0, PATIENT_COLUMN, self.patients[0])
        return _atomic_write(path, lambda tmp: _write_table(df, tmp, suffix, self.provenance))

    def plot(self, kind: str = "overview", path: str | os.PathLike | None = None):
        """A matplotlib figure (see :mod:`glucostat.plotting`); saved when ``path`` is given."""
        from .plotting import plot_results

        return plot_results(self, kind=kind, path=path)


def _write_table(df, tmp: Path, suffix: str, provenance):
    if suffix == ".csv":
        df.to_csv(tmp, index=False)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"glucostat.provenance"] = json.dumps(provenance, default=str).encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp)


def _atomic_write(path: Path, writer) -> Path:
    """Call ``writer(tmp_path)`` then move the file into place; clean up on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        writer(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_provenance(path: str | os.PathLike) -> dict:
    """The provenance stored in a Parquet file written by :meth:`Results.save`."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"glucostat.provenance", b"{}"))
