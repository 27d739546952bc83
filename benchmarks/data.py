"""Benchmark data sets, the objective every contender is scored on, and its exact optimum.

Dense sets: standardized Gaussian features with AR(1) correlation 0.5 between
neighbouring columns (condition number ~9, like mildly correlated real
features), a held-out test set of 20 %. Targets:

* regression: ``y = X w + 1 + noise`` with ``w ~ N(0, 1/d)``, noise std 1 (R^2 ~ 0.6);
* binary / multinomial: labels drawn from the logistic / softmax model of
  ``X W`` (logit scale 3), so the classes overlap and the optimum is finite.

Sparse text-like set: CSR rows of ~50 words drawn from a Zipf(1.1) vocabulary,
log term frequency times idf, rows L2-normalised; labels from a logistic model
on ~20 % of the vocabulary.

Every contender is scored on the same objective, the package's documented
``J(w, b) = mean loss + alpha R(w)`` with the estimators' default penalty, written
out here in numpy (independently of ``skopt_gd``).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, logsumexp


@dataclass
class DataSet:
    name: str
    task: str  # "regression", "binary", "multinomial"
    X: object
    y: np.ndarray
    X_test: object
    y_test: np.ndarray
    alpha: float

    @property
    def shape(self):
        return self.X.shape

    @property
    def nbytes(self):
        X = self.X
        if sp.issparse(X):
            return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
        return X.nbytes

    @property
    def label(self):
        n, d = self.shape
        kind = "CSR " if sp.issparse(self.X) else ""
        return f"{self.task} {kind}{n:,} x {d:,}"


# ---- generators ------------------------------------------------------------------
def correlated_gaussian(rng, n, d, rho=0.5, dtype=np.float64):
    """Rows with unit-variance columns, ``corr(x_j, x_k) = rho^|j-k|`` (an AR(1) in j)."""
    X = rng.standard_normal((n, d), dtype=dtype)
    scale = np.sqrt(1.0 - rho * rho)
    for lo in range(0, n, 4096):  # row blocks: the column recursion stays in cache
        B = X[lo:lo + 4096].T
        for j in range(1, d):
            B[j] *= scale
            B[j] += rho * B[j - 1]
    return X


def _split(X, y, n):
    return X[:n], y[:n], X[n:], y[n:]


def dense(task, n, d, alpha, seed=0, classes=5):
    rng = np.random.default_rng(seed)
    m = n + n // 4  # 20 % of all rows held out
    X = correlated_gaussian(rng, m, d)
    if task == "regression":
        y = X @ rng.normal(0.0, 1.0 / np.sqrt(d), d) + 1.0 + rng.standard_normal(m)
    else:
        k = 1 if task == "binary" else classes
        scores = X @ rng.normal(0.0, 3.0 / np.sqrt(d), (d, k))
        y = _draw_labels(rng, scores)
    X, y, X_test, y_test = _split(X, y, n)
    return DataSet(f"{task}-{n}x{d}", task, np.ascontiguousarray(X), y,
                   np.ascontiguousarray(X_test), y_test, alpha)


def _draw_labels(rng, scores):
    if scores.shape[1] == 1:
        return (rng.random(len(scores)) < expit(scores[:, 0])).astype(np.int64)
    p = np.exp(scores - logsumexp(scores, axis=1, keepdims=True))
    u = rng.random(len(scores))[:, None]
    return np.minimum((u > np.cumsum(p, axis=1)).sum(axis=1), scores.shape[1] - 1)


def text_like(n, d, alpha, nnz_per_row=50, seed=0):
    """Bag-of-words CSR: Zipf(1.1) vocabulary, log-tf x idf, L2-normalised rows."""
    rng = np.random.default_rng(seed)
    m = n + n // 4
    lengths = np.maximum(rng.poisson(1.45 * nnz_per_row, m), 1)  # repeated words merge
    ranks = np.arange(1, d + 1, dtype=np.float64)
    p = ranks ** -1.1
    p /= p.sum()
    words = rng.choice(d, size=lengths.sum(), p=p)
    rows = np.repeat(np.arange(m), lengths)
    counts = sp.csr_matrix((np.ones(len(words)), (rows, words)), shape=(m, d))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=d)
    counts.data = np.log1p(counts.data) * np.log((1.0 + m) / (1.0 + df[counts.indices]))
    norms = np.sqrt(counts.multiply(counts).sum(axis=1)).A1
    X = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ counts)
    w = np.where(rng.random(d) < 0.2, rng.normal(0.0, 30.0, d), 0.0)
    y = _draw_labels(rng, (X @ w)[:, None])
    X_train, X_test = X[:n], X[n:]
    X_train.sort_indices(), X_test.sort_indices()
    return DataSet(f"sparse-{n}x{d}", "binary", X_train, y[:n], X_test, y[n:], alpha)


# ---- the objective ---------------------------------------------------------------------
def decision(X, coef, intercept):
    """Raw scores ``X W^T + b``, shape ``(n, k)``, from sklearn-style coef/intercept."""
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    return np.asarray(X @ W.T) + np.atleast_1d(intercept)


def onehot(y, k):
    return (np.asarray(y)[:, None] == np.arange(k)).astype(np.float64)


def objective(ds, coef, intercept, block=65536):
    """``J = mean loss + alpha ||w||^2 / 2`` on the training set (in row blocks)."""
    total = 0.0
    for lo in range(0, ds.X.shape[0], block):
        z = decision(ds.X[lo:lo + block], coef, intercept)
        y = ds.y[lo:lo + block]
        if ds.task == "regression":
            total += 0.5 * float(((z[:, 0] - y) ** 2).sum())
        elif ds.task == "binary":
            total -= float((y * log_expit(z[:, 0]) + (1 - y) * log_expit(-z[:, 0])).sum())
        else:
            total += float((logsumexp(z, axis=1) - z[np.arange(len(y)), y]).sum())
    return total / ds.X.shape[0] + 0.5 * ds.alpha * float(np.sum(np.square(coef)))


def test_score(ds, coef, intercept):
    """R^2 (regression) or accuracy on the held-out rows."""
    z = decision(ds.X_test, coef, intercept)
    if ds.task == "regression":
        r = ds.y_test - z[:, 0]
        return 1.0 - float(r @ r) / float(((ds.y_test - ds.y_test.mean()) ** 2).sum())
    pred = (z[:, 0] > 0).astype(int) if ds.task == "binary" else z.argmax(axis=1)
    return float((pred == ds.y_test).mean())


def train_r2(ds, coef, intercept):
    z = decision(ds.X, coef, intercept)[:, 0]
    r = ds.y - z
    return 1.0 - float(r @ r) / float(((ds.y - ds.y.mean()) ** 2).sum())


# ---- the exact optimum --------------------------------------------------------------------
def ridge_optimum(ds):
    """Normal equations of ``J`` (centered, float64, one refinement step): (coef, intercept)."""
    X, y, n = ds.X, ds.y, ds.X.shape[0]
    mean = np.asarray(X.mean(axis=0)).ravel()
    G = np.asarray(X.T @ X) / n - np.outer(mean, mean) + ds.alpha * np.eye(X.shape[1])
    ym = y.mean()

    def rhs(w):
        b = ym - mean @ w
        return np.asarray(X.T @ (y - X @ w - b)) / n - ds.alpha * w

    w = np.linalg.solve(G, rhs(np.zeros(X.shape[1])))
    w += np.linalg.solve(G, rhs(w))
    return w, ym - mean @ w


def logistic_optimum(ds, solver="lbfgs", tol=1e-10, max_iter=10000):
    """``LogisticRegression`` run to a tight tolerance, ``C = 1 / (alpha n)``."""
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression(C=1.0 / (ds.alpha * ds.X.shape[0]), solver=solver, tol=tol,
                             max_iter=max_iter)
    est.fit(ds.X, ds.y)
    return est.coef_, est.intercept_
