"""Leave-one-out cross-validation on a tiny multi-output dataset.

The Linnerud data has 20 athletes, 3 exercise counts as features and 3
physiological targets (weight, waist, pulse). ``SGDLinearRegressor`` fits all
three targets at once (multi-output ``coef_`` of shape ``(3, 3)``), works in
``cross_val_predict`` with ``LeaveOneOut`` like any scikit-learn regressor, and
with ``penalty="l2", alpha=a / n_train`` it is ``Ridge(alpha=a)`` — so their
leave-one-out predictions coincide. Features and targets are standardized inside
each fold (``StandardScaler`` in the pipeline, ``TransformedTargetRegressor``
for the targets).

Run from the repository root (writes ``docs/examples/figures/leave_one_out.png``
unless given another path)::

    python docs/examples/leave_one_out.py [OUTPUT.png]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.datasets import load_linnerud  # noqa: E402
from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.model_selection import LeaveOneOut, cross_val_predict  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skopt_gd import SGDLinearRegressor  # noqa: E402

OUT = Path(__file__).parent / "figures" / "leave_one_out.png"
RIDGE_ALPHA = 10.0


def models(n_train):
    def wrap(regressor):
        return TransformedTargetRegressor(make_pipeline(StandardScaler(), regressor),
                                          transformer=StandardScaler())
    full_batch = dict(batch_size=None, learning_rate="constant", tol=None, max_iter=1000)
    return {
        "LinearRegression": wrap(LinearRegression()),
        f"Ridge(alpha={RIDGE_ALPHA:g})": wrap(Ridge(alpha=RIDGE_ALPHA)),
        f"SGD, l2, alpha={RIDGE_ALPHA:g}/{n_train}": wrap(SGDLinearRegressor(
            penalty="l2", alpha=RIDGE_ALPHA / n_train, eta0=0.1, **full_batch)),
        "Adam, no penalty": wrap(SGDLinearRegressor(
            optimizer="adam", penalty=None, eta0=0.01, **full_batch)),
    }


def main(out=OUT):
    data = load_linnerud()
    X, Y = data.data, data.target
    loo = LeaveOneOut()
    n_train = X.shape[0] - 1
    preds = {name: cross_val_predict(model, X, Y, cv=loo)
             for name, model in models(n_train).items()}

    print(f"{'model':<28}" + "".join(f"{t:>10}" for t in data.target_names)
          + "   (leave-one-out RMSE)")
    for name, pred in preds.items():
        rmse = np.sqrt(((pred - Y) ** 2).mean(axis=0))
        print(f"{name:<28}" + "".join(f"{r:10.2f}" for r in rmse))
    baseline = np.sqrt(((Y - Y.mean(axis=0)) ** 2).mean(axis=0) * len(Y) ** 2 / n_train ** 2)
    print(f"{'predict the training mean':<28}" + "".join(f"{r:10.2f}" for r in baseline))
    ols, ridge, sgd, adam = preds.values()
    print(f"max |Ridge - SGD l2| LOO prediction: {np.abs(ridge - sgd).max():.2e}")
    print(f"max |LinearRegression - Adam| LOO prediction: {np.abs(ols - adam).max():.2e}")

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
    # open markers for the exact solvers, crosses for the SGD fits drawn on top
    styles = [dict(marker="o", facecolors="none", edgecolors="C0"),
              dict(marker="s", facecolors="none", edgecolors="C1"),
              dict(marker="x", color="C2"), dict(marker="+", color="C3")]
    for k, ax in enumerate(axes):
        lo, hi = Y[:, k].min(), Y[:, k].max()
        pad = 0.1 * (hi - lo)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=1)
        for (name, pred), style in zip(preds.items(), styles):
            ax.scatter(Y[:, k], pred[:, k], s=36, label=name, **style)
        ax.set_title(data.target_names[k])
        ax.set_xlabel("measured")
        ax.set_ylabel("leave-one-out prediction")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Linnerud: leave-one-out predictions of three targets at once")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return preds


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
