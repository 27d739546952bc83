"""Loss curves of the ten optimizers on one dataset.

Each optimizer minimises the same least-squares objective on the standardized
diabetes data (features and target standardized, ``penalty=None``), with a
constant learning rate, once with full-batch updates (one update per epoch) and
once with mini-batches of 32 (14 updates per epoch). Each is shown at its best
``eta0`` from a small grid (lowest objective over the last 10 of 200 epochs,
excluding rates that diverge). The curves are ``loss_curve_`` minus the exact
minimum, computed by least squares.

Full batch, ``loss_curve_`` is exactly the objective before each epoch's update,
so the curves show each method's convergence rate: momentum and Nesterov
converge linearly, Adam and AMSGrad reach 1e-6, the others slow down on the
ill-conditioned directions. With mini-batches every method stalls at a noise
floor set by its learning rate: a decaying schedule or averaging is needed to go
further.

Run from the repository root (writes ``docs/examples/figures/loss_curves.png``
unless given another path)::

    python docs/examples/loss_curves.py [OUTPUT.png]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skopt_gd import SGDLinearRegressor  # noqa: E402
from skopt_gd.optimizers import OPTIMIZERS  # noqa: E402

OUT = Path(__file__).parent / "figures" / "loss_curves.png"
ETA0_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
EPOCHS = 200


def fit(optimizer, eta0, batch_size, X, y):
    return SGDLinearRegressor(optimizer=optimizer, eta0=eta0, batch_size=batch_size,
                              penalty=None, learning_rate="constant", tol=None,
                              max_iter=EPOCHS, random_state=0).fit(X, y)


def best_fit(optimizer, batch_size, X, y):
    """The fit with the lowest objective over its last 10 epochs, across ``ETA0_GRID``."""
    best = None
    for eta0 in ETA0_GRID:
        try:
            model = fit(optimizer, eta0, batch_size, X, y)
        except ValueError:  # diverged: skopt_gd raises instead of returning garbage
            continue
        final = np.mean(model.loss_curve_[-10:])
        if best is None or final < best[0]:
            best = (final, eta0, model)
    return best[1], best[2]


def main(out=OUT):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    A = np.column_stack([X, np.ones(len(X))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    j_min = 0.5 * np.mean((A @ solution - y) ** 2)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    styles = ["-", "--", ":", "-.", "-", "--", ":", "-.", "-", "--"]
    for ax, batch_size, title in [(axes[0], None, "full batch"),
                                  (axes[1], 32, "mini-batches of 32")]:
        print(title)
        for k, name in enumerate(OPTIMIZERS):
            eta0, model = best_fit(name, batch_size, X, y)
            gap = np.asarray(model.loss_curve_) - j_min
            ax.semilogy(np.arange(1, len(gap) + 1), np.maximum(gap, 1e-16),
                        linestyle=styles[k], color=f"C{k}", label=f"{name} (eta0={eta0:g})")
            print(f"  {name:<9} eta0={eta0:<6g} objective gap after {EPOCHS} epochs: "
                  f"{gap[-1]:.1e}")
        ax.set(title=title, xlabel="epoch", ylabel="loss_curve_ − minimum of J")
    axes[0].set_ylim(1e-12, 3)
    axes[0].legend(fontsize=7, ncol=2, loc="lower left")
    axes[1].set_ylim(5e-4, 1)
    axes[1].legend(fontsize=7, ncol=2, loc="upper right")
    fig.suptitle("Diabetes, least squares, constant learning rate: each optimizer at its best eta0")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
