"""How close does gradient descent get to ``LinearRegression``?

On the standardized diabetes data, each model is trained one epoch at a time
with ``partial_fit`` (which continues parameters, optimizer state and the update
counter), and after every epoch we measure (left) the distance of its
coefficients to the exact least-squares solution and (right) how far, relatively,
its training objective ``J = mean((y - Xw - b)²) / 2`` is above the
least-squares minimum. All models have ``penalty=None``, so they minimise the same objective
as ``LinearRegression``; the test R² after the last epoch is printed.

The objective converges long before the coefficients do: two features of this
data (``s1`` and ``s2``, total and LDL cholesterol) are strongly correlated, and
moving along that direction barely changes the predictions, so every first-order
method is slow to pin it down — while the predictions, and the test score, are
already those of ``LinearRegression`` to a few parts in a thousand.

Run from the repository root (writes
``docs/examples/figures/vs_linear_regression.png`` unless given another path)::

    python docs/examples/vs_linear_regression.py [OUTPUT.png]
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skopt_gd import SGDLinearRegressor  # noqa: E402

OUT = Path(__file__).parent / "figures" / "vs_linear_regression.png"
EPOCHS = 300

MODELS = {
    "sgd, batch 32": dict(optimizer="sgd", eta0=0.01, batch_size=32),
    # average=k starts averaging after k samples: here after 50 epochs of 331 samples
    "sgd, batch 32, averaged from epoch 50": dict(optimizer="sgd", eta0=0.01, batch_size=32,
                                                  average=50 * 331),
    "nesterov, full batch": dict(optimizer="nesterov", eta0=0.05, batch_size=None),
    "adam, batch 32": dict(optimizer="adam", eta0=0.5, batch_size=32),
}


def objective(model, X, y):
    """Half the mean squared training residual: J with penalty=None."""
    return 0.5 * np.mean((y - model.predict(X)) ** 2)


def main(out=OUT):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ols = LinearRegression().fit(X_train, y_train)
    j_ols = objective(ols, X_train, y_train)
    print(f"{'LinearRegression':<38} test R² {ols.score(X_test, y_test):.4f}")

    fig, (ax_coef, ax_obj) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for name, params in MODELS.items():
        model = SGDLinearRegressor(penalty=None, learning_rate="constant",
                                   random_state=0, **params)
        coef_err, obj_gap = [], []
        start = time.perf_counter()
        for _ in range(EPOCHS):
            model.partial_fit(X_train, y_train)
            coef_err.append(np.linalg.norm(model.coef_ - ols.coef_)
                            / np.linalg.norm(ols.coef_))
            obj_gap.append(objective(model, X_train, y_train) / j_ols - 1.0)
        seconds = time.perf_counter() - start
        epochs = np.arange(1, EPOCHS + 1)
        ax_coef.semilogy(epochs, coef_err, label=name)
        ax_obj.semilogy(epochs, obj_gap, label=name)
        print(f"{name:<38} test R² {model.score(X_test, y_test):.4f} after {EPOCHS} epochs "
              f"({model.t_} updates, {seconds:.2f} s): relative coef error "
              f"{coef_err[-1]:.1e}, relative objective gap {obj_gap[-1]:.1e}")

    ax_coef.set(xlabel="epoch", ylabel="‖w − w_OLS‖ / ‖w_OLS‖",
                title="Distance to the least-squares coefficients")
    ax_obj.set(xlabel="epoch", ylabel="J(w, b) / J(w_OLS, b_OLS) − 1",
               title="Training objective above its minimum (relative)")
    ax_coef.legend(fontsize=8)
    fig.suptitle("Diabetes (standardized features), constant learning rates")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
