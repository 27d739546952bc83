"""LossCurveDisplay: what is drawn is exactly the fitted curves, on the axes given."""

import doctest
import subprocess
import sys

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skopt_gd
import skopt_gd.__main__
import skopt_gd._plotting
from skopt_gd import LossCurveDisplay, SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import Adam

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=80, n_features=4, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.fixture
def ax():
    return Figure().subplots()


def fitted(X, y, **params):
    return SGDLinearRegressor(random_state=0, max_iter=30, tol=None, **params).fit(X, y)


def test_from_estimator_draws_the_loss_curve_per_epoch(data, ax):
    model = fitted(*data, optimizer="adam")
    display = LossCurveDisplay.from_estimator(model, ax=ax)
    (line,) = display.lines_
    np.testing.assert_array_equal(line.get_ydata(), model.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 31))
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert line.get_label() == "adam"  # defaults to the optimizer's name
    assert display.ax_validation_ is None and display.validation_lines_ == []


def test_from_estimators_one_line_each_with_names_and_legend(data, ax):
    models = [fitted(*data, optimizer=name) for name in ("sgd", "nesterov")]
    models.append(fitted(*data, optimizer=Adam(beta1=0.8)))
    display = LossCurveDisplay.from_estimators(models, ax=ax)
    assert [line.get_label() for line in display.lines_] == ["sgd", "nesterov",
                                                             "Adam(beta1=0.8)"]
    for line, model in zip(display.lines_, models):
        np.testing.assert_array_equal(line.get_ydata(), model.loss_curve_)
    named = LossCurveDisplay.from_estimators(models[:2], names=["a", "b"], ax=Figure().subplots())
    assert [t.get_text() for t in named.ax_.get_legend().get_texts()] == ["a", "b"]
    assert len({line.get_color() for line in display.lines_}) == 3


def test_unwraps_pipelines_searches_and_target_transformers(data, ax):
    X, y = data
    pipe = make_pipeline(StandardScaler(), SGDLinearRegressor(random_state=0)).fit(X, y)
    ttr = TransformedTargetRegressor(regressor=SGDLinearRegressor(random_state=0),
                                     transformer=StandardScaler()).fit(X, y)
    search = GridSearchCV(make_pipeline(StandardScaler(), SGDLinearRegressor(random_state=0)),
                          {"sgdlinearregressor__eta0": [0.01, 0.05]}, cv=2).fit(X, y)
    display = LossCurveDisplay.from_estimators([pipe, ttr, search], names=["p", "t", "s"],
                                               ax=ax)
    inner = [pipe[-1], ttr.regressor_, search.best_estimator_[-1]]
    for line, model in zip(display.lines_, inner):
        np.testing.assert_array_equal(line.get_ydata(), model.loss_curve_)


def test_validation_scores_on_a_twin_axis(ax):
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    stopped = SGDLogisticClassifier(early_stopping=True, max_iter=40, random_state=0).fit(X, y)
    plain = SGDLogisticClassifier(max_iter=40, tol=None, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimators([plain, stopped], names=["plain", "es"], ax=ax)
    assert display.ax_validation_ is not None and display.ax_validation_ is not ax
    (val,) = display.validation_lines_
    np.testing.assert_array_equal(val.get_ydata(), stopped.validation_scores_)
    assert val.get_linestyle() == "--" and val.get_color() == display.lines_[1].get_color()


def test_plot_linear_scale_and_new_figure_when_no_axes(data):
    import matplotlib.pyplot as plt

    display = LossCurveDisplay(loss_curves=[[4.0, 2.0, 1.0]]).plot(log_scale=False)
    try:
        assert display.ax_.get_yscale() == "linear" and display.ax_.get_legend() is None
        np.testing.assert_array_equal(display.lines_[0].get_ydata(), [4.0, 2.0, 1.0])
    finally:
        plt.close(display.figure_)


def test_own_figure_is_laid_out_so_the_axis_labels_fit():
    """Issue 13: with the fixed default margins the wide minor tick labels of a log
    axis over less than a decade (2x10^-1 ... 5x10^-1, a typical standardized loss
    curve) pushed the y label past the figure's left edge."""
    import matplotlib.pyplot as plt

    curve = np.geomspace(0.5, 0.23, 60)
    display = LossCurveDisplay(loss_curves=[curve], names=["sgd"],
                               validation_scores=[np.linspace(0.2, 0.8, 60)]).plot()
    try:
        display.ax_.set_title("added after plot()")  # the layout is redone at draw time
        figure = display.figure_
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        bounds = figure.bbox
        left = display.ax_.yaxis.label.get_window_extent(renderer)
        right = display.ax_validation_.yaxis.label.get_window_extent(renderer)
        title = display.ax_.title.get_window_extent(renderer)
        assert left.x0 >= bounds.x0, f"y label starts at x={left.x0:.1f}, left of the figure"
        assert right.x1 <= bounds.x1, f"validation label ends at x={right.x1:.1f} > {bounds.x1}"
        assert title.y1 <= bounds.y1
    finally:
        plt.close(display.figure_)


def test_a_given_axes_keeps_its_figure_layout(ax):
    LossCurveDisplay(loss_curves=[[4.0, 2.0, 1.0]]).plot(ax=ax)
    assert ax.figure.get_layout_engine() is None  # the caller's choice, not overridden
    fixed = Figure(layout="tight").subplots()
    LossCurveDisplay(loss_curves=[[4.0, 2.0, 1.0]]).plot(ax=fixed)
    assert type(fixed.figure.get_layout_engine()).__name__ == "TightLayoutEngine"


@pytest.mark.parametrize("make, error, message", [
    (lambda X, y: SGDLinearRegressor(), NotFittedError, "not fitted"),
    (lambda X, y: LinearRegression().fit(X, y), ValueError, "has no loss_curve_"),
])
def test_refuses_what_it_cannot_draw(data, ax, make, error, message):
    with pytest.raises(error, match=message):
        LossCurveDisplay.from_estimator(make(*data), ax=ax)


def test_names_must_match_curves(ax):
    with pytest.raises(ValueError, match="2 names for 1 loss curves"):
        LossCurveDisplay(loss_curves=[[1.0]], names=["a", "b"]).plot(ax=ax)


def test_clear_import_error_without_matplotlib(data, monkeypatch):
    model = fitted(*data)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install skopt_gd\[plot\]"):
        LossCurveDisplay.from_estimator(model)


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, skopt_gd; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
    assert "LossCurveDisplay" in skopt_gd.__all__


@pytest.mark.parametrize("module", [skopt_gd._plotting, skopt_gd.__main__])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
