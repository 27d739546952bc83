"""Train on a CSV file that does not fit in memory, one chunk at a time.

Only one chunk of rows is ever in memory. A first pass over the file learns
the feature scaling (``StandardScaler.partial_fit``) and the set of labels;
then every epoch streams the file again and calls ``partial_fit`` once per
chunk -- one pass over that chunk, continuing the parameters, the optimizer
state and the update count ``t_`` from the previous call.

Run it as::

    python docs/examples/stream_csv.py            # writes and streams a demo CSV
    python docs/examples/stream_csv.py data.csv label

If the file is sorted (by label, by date, ...), shuffle its rows once on disk
first: ``shuffle=True`` only reshuffles rows *within* each chunk.
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLogisticClassifier


def read_chunks(path, target, chunksize):
    """Yield ``(X, y)`` blocks of at most ``chunksize`` rows from a CSV with a header."""
    for frame in pd.read_csv(path, chunksize=chunksize):
        y = frame.pop(target).to_numpy()
        yield frame.to_numpy(dtype=np.float64), y


def scan(path, target, chunksize):
    """First pass: a fitted scaler and every label in the file."""
    scaler, labels = StandardScaler(), set()
    for X, y in read_chunks(path, target, chunksize):
        scaler.partial_fit(X)
        labels.update(np.unique(y).tolist())
    return scaler, np.array(sorted(labels))


def stream_fit(path, target, *, chunksize=10_000, epochs=5, progress=False, **params):
    """Fit an ``SGDLogisticClassifier`` over ``epochs`` passes of the file; return (scaler, model)."""
    scaler, classes = scan(path, target, chunksize)
    model = SGDLogisticClassifier(**params)
    for epoch in range(epochs):
        start = time.perf_counter()
        for X, y in read_chunks(path, target, chunksize):
            model.partial_fit(scaler.transform(X), y, classes=classes)  # classes: first call
        if progress:
            print(f"epoch {epoch + 1}: {model.t_} updates, last chunk objective "
                  f"{model.loss_curve_[-1]:.4f}, {time.perf_counter() - start:.2f} s")
    return scaler, model


def write_demo_csv(path, n_rows=200_000, n_features=20, chunksize=50_000, seed=0):
    """Write a synthetic 3-class problem chunk by chunk (never all in memory)."""
    rng = np.random.RandomState(seed)
    w = rng.randn(n_features, 3)
    columns = [f"x{j}" for j in range(n_features)]
    for start in range(0, n_rows, chunksize):
        X = rng.randn(min(chunksize, n_rows - start), n_features) * 3.0 + 1.0
        label = np.argmax(X @ w + rng.gumbel(size=(len(X), 3)), axis=1)
        frame = pd.DataFrame(X, columns=columns).assign(label=label)
        frame.to_csv(path, mode="w" if start == 0 else "a", header=start == 0, index=False)
    return path


def main(argv):
    if len(argv) > 1:
        path, target = argv[1], argv[2]
    else:
        path, target = write_demo_csv(Path(tempfile.mkdtemp()) / "demo.csv"), "label"
    scaler, model = stream_fit(path, target, chunksize=20_000, epochs=3, optimizer="adam",
                               eta0=0.01, batch_size=256, random_state=0, progress=True)
    correct = total = 0
    for X, y in read_chunks(path, target, 20_000):  # evaluation is streamed too
        correct += int((model.predict(scaler.transform(X)) == y).sum())
        total += len(y)
    print(f"training accuracy {correct / total:.4f} on {total} rows, classes {model.classes_}")


if __name__ == "__main__":
    main(sys.argv)
