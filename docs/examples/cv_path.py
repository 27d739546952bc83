"""The cross-validation path: CV score vs alpha, ours against the exact solvers'.

``SGDLinearRegressorCV(penalty="l1")`` against ``LassoCV`` on the raw diabetes data
(no scaling: ages, BMI, blood serum measurements in their own units) and
``SGDLogisticClassifierCV`` against ``LogisticRegressionCV`` on the raw breast-cancer
data, each pair on the same folds and the same grid (``alpha = 1 / (C n_train)`` for
the classifier). The curves are the mean held-out scores of ``scores_`` (ours) and
``mse_path_`` / ``scores_`` (scikit-learn's); the dotted lines mark each one's choice.

Run from the repository root (writes ``docs/examples/figures/cv_path.png`` unless
given another path)::

    python docs/examples/cv_path.py [OUTPUT.png]
"""

import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.linear_model import LassoCV, LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold  # noqa: E402

from skopt_gd import SGDLinearRegressorCV, SGDLogisticClassifierCV  # noqa: E402

OUT = Path(__file__).parent / "figures" / "cv_path.png"


def regression_paths():
    X, y = load_diabetes(return_X_y=True, scaled=False)
    folds = KFold(5, shuffle=True, random_state=0)
    lasso = LassoCV(alphas=30, eps=1e-4, cv=folds, tol=1e-8, max_iter=100_000).fit(X, y)
    ours = SGDLinearRegressorCV(penalty="l1", alphas=30, eps=1e-4, cv=folds,
                                random_state=0).fit(X, y)
    return lasso.alphas_, lasso.mse_path_.mean(axis=1), lasso.alpha_, ours


def classifier_paths():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:565], y[:565]  # 565 = 5 x 113: every fold trains on 452 rows
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    Cs = np.logspace(-4, 4, 12)
    alphas = 1.0 / (Cs * 452)
    with warnings.catch_warnings():  # lbfgs on raw features needs many iterations
        warnings.simplefilter("ignore")
        logreg = LogisticRegressionCV(Cs=Cs, cv=folds, scoring="accuracy", max_iter=20_000,
                                      l1_ratios=(0,), use_legacy_attributes=False).fit(X, y)
        ours = SGDLogisticClassifierCV(alphas=alphas, cv=folds, random_state=0).fit(X, y)
    curve = logreg.scores_.mean(axis=0)[0]  # increasing C: decreasing alpha
    return alphas, curve, 1.0 / (logreg.C_ * 452), ours


def _panel(ax, grid, anchor, anchor_choice, ours, anchor_name, ylabel, sign):
    ax.plot(ours.alphas_, sign * ours.scores_[0].mean(axis=1), "o-", color="C0", ms=4,
            label=type(ours).__name__)
    ax.plot(grid, anchor, "--", color="C1", lw=2, label=anchor_name)
    ax.axvline(ours.alpha_, color="C0", ls=":")
    ax.axvline(float(anchor_choice), color="C1", ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_ylabel(ylabel)
    ax.legend()


def main(out=OUT):
    grid, mse, lasso_alpha, reg = regression_paths()
    c_grid, acc, logreg_alpha, clf = classifier_paths()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    _panel(left, grid, mse, lasso_alpha, reg, "LassoCV", "mean CV squared error", -1.0)
    left.set_yscale("log")
    left.set_title("diabetes, raw features, L1")
    _panel(right, c_grid, acc, logreg_alpha, clf, "LogisticRegressionCV",
           "mean CV accuracy", 1.0)
    right.set_title("breast cancer, raw features, L2")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    print(f"diabetes: alpha_ {reg.alpha_:.4g} (LassoCV {lasso_alpha:.4g})")
    print(f"breast cancer: alpha_ {clf.alpha_:.4g} (LogisticRegressionCV "
          f"{float(np.ravel(logreg_alpha)[0]):.4g})")
    return reg, clf


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
