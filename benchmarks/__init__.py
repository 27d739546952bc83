"""Benchmarks of skopt_gd against scikit-learn: ``python -m benchmarks [--quick]``.

See ``benchmarks/run.py`` for the options and ``docs/benchmarks.md`` for the results.
"""
