"""GridSearchCV over optimizers and learning rates.

Every optimizer alias is a value of the ``optimizer`` hyperparameter, so one
``GridSearchCV`` compares them all, each at several base learning rates, with
the same folds. The figure is a heat map of the mean cross-validated log loss
(lower is better) of ``SGDLogisticClassifier`` on the breast-cancer data.

Run from the repository root (writes ``docs/examples/figures/grid_search.png``
unless given another path)::

    python docs/examples/grid_search.py [OUTPUT.png]
"""

import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skopt_gd import SGDLogisticClassifier  # noqa: E402
from skopt_gd.optimizers import OPTIMIZERS  # noqa: E402

OUT = Path(__file__).parent / "figures" / "grid_search.png"
ETA0 = [0.001, 0.01, 0.1, 1.0]


def run_search():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), SGDLogisticClassifier(max_iter=200, random_state=0))
    grid = {"sgdlogisticclassifier__optimizer": list(OPTIMIZERS),
            "sgdlogisticclassifier__eta0": ETA0}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    search = GridSearchCV(model, grid, cv=cv, scoring="neg_log_loss")
    with warnings.catch_warnings():  # the smallest rates do not converge in 200 epochs
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return search


def main(out=OUT):
    search = run_search()
    res = search.cv_results_
    names = list(OPTIMIZERS)
    loss = np.empty((len(names), len(ETA0)))
    for opt, eta, score in zip(res["param_sgdlogisticclassifier__optimizer"],
                               res["param_sgdlogisticclassifier__eta0"],
                               res["mean_test_score"]):
        loss[names.index(opt), ETA0.index(eta)] = -score

    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    im = ax.imshow(np.log10(loss), cmap="viridis_r", aspect="auto")
    for i in range(len(names)):
        best = np.argmin(loss[i])
        for j in range(len(ETA0)):
            weight = "bold" if j == best else "normal"
            ax.text(j, i, f"{loss[i, j]:.3f}", ha="center", va="center", fontsize=8,
                    color="white" if loss[i, j] > np.median(loss) else "black",
                    fontweight=weight)
    ax.set_xticks(range(len(ETA0)), [str(e) for e in ETA0])
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("eta0")
    ax.set_title("Mean 5-fold CV log loss, breast cancer\n(bold: best eta0 per optimizer)")
    fig.colorbar(im, ax=ax, label="log10(log loss)")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    best = search.best_params_
    print(f"best: optimizer={best['sgdlogisticclassifier__optimizer']!r}, "
          f"eta0={best['sgdlogisticclassifier__eta0']}, "
          f"CV log loss {-search.best_score_:.4f}")
    return search


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
