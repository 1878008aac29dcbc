"""Organ modules: each holds the pure, compiled flux functions of one organ.

The functions here are scalar, side-effect free and compiled with numba; they are
wired into one right-hand side in :mod:`glucostat.model`. They are inlined into it
(``forceinline``) and free of calls and loops (:mod:`.common` replaces ``pow``, ``tanh``
and ``cos``), so that the right-hand side also compiles to SIMD code over a block of
patients (:mod:`glucostat.lanes`). Every function cites the
equation it implements. Equation numbers of Dalla Man, Rizza & Cobelli 2007
(IEEE Trans Biomed Eng 54(10):1740-1749, doi:10.1109/TBME.2007.893506) are given
as "DM2007 eq. (n)"; they follow independent open transcriptions of the paper
and are listed in ``docs/model.md`` together with how they were checked.
"""
