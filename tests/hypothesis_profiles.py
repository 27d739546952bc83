"""Hypothesis profiles of the skopt_gd test suite.

``ci`` (the default) is fast and derandomized: the same examples on every run,
so a red CI is reproducible and a green one was not obtained by rerunning.
``thorough`` runs many more random examples; select it on the command line::

    python -m pytest tests/test_properties.py --hypothesis-profile=thorough \
        --hypothesis-show-statistics

Hypothesis' pytest plugin reads ``--hypothesis-profile`` when pytest configures
itself, so this module must be imported by ``tests/conftest.py``
(``import hypothesis_profiles  # noqa: F401``). The environment variable
``HYPOTHESIS_PROFILE`` selects the default profile where the option is not given.
"""

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, database=None,
    suppress_health_check=_SLOW_OK, print_blob=True,
)
settings.register_profile(
    "thorough", max_examples=1500, deadline=None, suppress_health_check=_SLOW_OK,
    print_blob=True,
)

# Load the default only if nobody chose a profile yet: imported late (from a
# test module, after ``--hypothesis-profile`` was applied) it changes nothing.
if settings.get_current_profile_name() == "default":
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
