"""Learning-rate-free optimizers against tuned Adam and SGD, on raw diabetes data.

``SGDLinearRegressor`` on the diabetes table *as published*
(``load_diabetes(scaled=False)``: ages in years, blood pressures in mmHg, a
target in the hundreds; no scaler) with the default preconditioning. Prodigy
and the two schedule-free rules run at their own defaults (no ``eta0``;
schedule-free at a constant rate, what it is made for); Adam and SGD get the
best ``eta0`` of a small ``GridSearchCV`` (3 folds) first. Every model then
trains 300 full-batch epochs (``tol=None``) on all rows; the figure shows
``loss_curve_`` minus the exact minimum of the objective (``LinearRegression``'s
residuals), drawn with :class:`skopt_gd.LossCurveDisplay`.

Run from the repository root (writes ``docs/examples/figures/lr_free.png``
unless given another path)::

    python docs/examples/lr_free.py [OUTPUT.png]
"""

import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skopt_gd import LossCurveDisplay, SGDLinearRegressor  # noqa: E402

OUT = Path(__file__).parent / "figures" / "lr_free.png"
EPOCHS = 300
GRID = [0.001, 0.01, 0.1, 1.0]


def model(**params):
    return SGDLinearRegressor(batch_size=None, max_iter=EPOCHS, tol=None, random_state=0,
                              **params)


def contenders(X, y):
    """(name, unfitted model, seconds spent tuning) for each contender."""
    out = [("prodigy (defaults)", model(optimizer="prodigy"), 0.0),
           ("schedulefree_adam (defaults, constant)",
            model(optimizer="schedulefree_adam", learning_rate="constant"), 0.0),
           ("schedulefree_sgd (defaults, constant)",
            model(optimizer="schedulefree_sgd", learning_rate="constant"), 0.0)]
    for name in ("adam", "sgd"):
        start = time.perf_counter()
        search = GridSearchCV(model(optimizer=name), {"eta0": GRID}, cv=3,
                              error_score=-np.inf).fit(X, y)
        eta0 = search.best_params_["eta0"]
        out.append((f"{name} (tuned eta0={eta0:g})", model(optimizer=name, eta0=eta0),
                    time.perf_counter() - start))
    return out


def main(out=OUT):
    X, y = load_diabetes(return_X_y=True, scaled=False)
    exact = LinearRegression().fit(X, y)
    j_min = 0.5 * np.mean((y - exact.predict(X)) ** 2)
    fitted, names, gaps = [], [], []
    with warnings.catch_warnings():  # the grid's worst rates are meant to fail
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, est, tuning in contenders(X, y):
            start = time.perf_counter()
            est.fit(X, y)
            seconds = time.perf_counter() - start
            gap = (np.asarray(est.loss_curve_) - j_min) / j_min
            final = (0.5 * np.mean((y - est.predict(X)) ** 2) - j_min) / j_min
            fitted.append(est)
            names.append(name)
            gaps.append(np.maximum(gap, 1e-16))
            print(f"{name:<39} R^2 {est.score(X, y):.5f} (exact {exact.score(X, y):.5f}), "
                  f"objective gap at coef_ {final:.1e}, fit {seconds:.2f} s, "
                  f"tuning {tuning:.1f} s")
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    LossCurveDisplay(loss_curves=gaps, names=names).plot(ax=ax)
    ax.legend(fontsize=8, loc="center right")
    ax.set(xlabel="epoch", ylabel="(loss_curve_ − min J) / min J",
           title="Raw diabetes, no scaler: learning-rate-free rules vs tuned Adam / SGD")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return fitted


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
