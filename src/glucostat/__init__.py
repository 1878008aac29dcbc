"""glucostat: an organ-resolved simulator of the human glucose-insulin system.

Three lines to a result::

    import glucostat as gs
    res = gs.simulate("healthy", gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80}))
    res.to_pandas()
"""

__version__ = "0.1.0"

from ._jit import package_cache as _package_cache  # noqa: E402

with _package_cache():
    from .errors import GlucostatError, InvalidInputError, SimulationError, UnknownNameError  # noqa: E402
    from .patients import PRESETS, Patient  # noqa: E402
    from .results import Results  # noqa: E402
    from .scenario import (  # noqa: E402
        Exercise,
        GlucagonInjection,
        InsulinBolus,
        InsulinInfusion,
        IVGlucoseBolus,
        IVGlucoseInfusion,
        IVInsulinBolus,
        IVInsulinInfusion,
        Meal,
        Metformin,
        OralGlucose,
        Scenario,
        Sulfonylurea,
    )
    from .simulation import simulate  # noqa: E402
    from . import engine  # noqa: E402,F401  (compiled population kernels, cached with the package)
    from . import batch  # noqa: E402,F401  (compiled closed loop in batch)
    from .protocols import OGTTResult, ogtt  # noqa: E402
    from .compare import Comparison, compare  # noqa: E402
    from .treatment import TreatmentEffect, treatment_effect  # noqa: E402
    from . import metrics, units  # noqa: E402

__all__ = [
    "__version__",
    "simulate",
    "ogtt",
    "OGTTResult",
    "compare",
    "Comparison",
    "treatment_effect",
    "TreatmentEffect",
    "Patient",
    "PRESETS",
    "Results",
    "Scenario",
    "Meal",
    "OralGlucose",
    "IVGlucoseBolus",
    "IVGlucoseInfusion",
    "IVInsulinInfusion",
    "IVInsulinBolus",
    "InsulinBolus",
    "InsulinInfusion",
    "Metformin",
    "Sulfonylurea",
    "GlucagonInjection",
    "Exercise",
    "metrics",
    "units",
    "GlucostatError",
    "InvalidInputError",
    "UnknownNameError",
    "SimulationError",
]
