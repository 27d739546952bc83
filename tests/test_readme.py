"""The README's example runs and finds a model as good as LogisticRegression."""

import re
import warnings
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_cleanly_and_matches_the_exact_solver(capsys):
    code = re.search(r"## Example\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the showcase must not spray warnings
        exec(compile(code, str(README), "exec"), namespace)
    assert "sgdlogisticclassifier__optimizer" in capsys.readouterr().out  # it prints its result
    X, y = load_breast_cancer(return_X_y=True)
    exact = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=5)
    assert namespace["search"].best_score_ >= exact.mean() - 0.01


def test_readme_states_the_two_setup_commands_ci_runs():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_cmd = 'pip install -e ".[test]" && python -m pytest'
    assert test_cmd in text and ci.strip().endswith(test_cmd)
    assert "pip install . && skopt-gd compare" in text
