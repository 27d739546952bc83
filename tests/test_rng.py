"""A fit's random stream (``skopt_gd._rng``): the draws of ``check_random_state``'s
generator, whichever way the stream is obtained and advanced."""

import threading

import numpy as np
import pytest
from sklearn.utils import check_random_state

from skopt_gd import SGDLinearRegressor, _rng
from skopt_gd._kernels import permutation


@pytest.mark.parametrize("seed", [0, 7, np.int64(123), 2**32 - 1, True])
def test_int_seed_stream_draws_like_check_random_state(seed):
    ref = check_random_state(seed)
    with _rng.stream(seed) as rng:
        assert isinstance(rng, np.random.RandomState)
        np.testing.assert_array_equal(rng.permutation(50), ref.permutation(50))
        assert rng.randn() == ref.randn() and rng.randint(2**31) == ref.randint(2**31)


def test_a_returned_stream_is_reseeded_not_continued():
    with _rng.stream(5) as rng:
        first = rng.random_sample(700)
    with _rng.stream(5) as rng:
        again = rng.random_sample(700)
    np.testing.assert_array_equal(first, again)
    with _rng.stream(5) as rng:
        rng.randn()  # leaves a cached gaussian in a RandomState
    with _rng.stream(5) as rng:
        assert rng.randn() == np.random.RandomState(5).randn()


def test_nested_streams_are_independent():
    """A fit started inside another's callback gets a generator of its own."""
    with _rng.stream(1) as outer:
        head = outer.random_sample(3)
        with _rng.stream(2) as inner:
            assert inner is not outer
            inner.random_sample(1000)
        tail = outer.random_sample(3)
    ref = np.random.RandomState(1).random_sample(6)
    np.testing.assert_array_equal(np.r_[head, tail], ref)


def test_instances_and_none_are_passed_through():
    mine = np.random.RandomState(3)
    with _rng.stream(mine) as rng:
        assert rng is mine
    with _rng.stream(None) as rng:
        assert rng is np.random.mtrand._rand


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_out_of_range_seeds_raise_as_randomstate_does(seed):
    with pytest.raises(ValueError):
        np.random.RandomState(seed)
    with pytest.raises(ValueError):
        with _rng.stream(seed):
            pass
    with _rng.stream(4) as rng:  # the pool is intact after the error
        assert rng.randn() == np.random.RandomState(4).randn()


@pytest.mark.parametrize("draws_before", [0, 623, 624, 1500])
def test_mt_state_store_continues_the_generator(draws_before):
    """The kernel's view of the state: drawing 'in place' and storing equals numpy's."""
    ours, ref = np.random.RandomState(9), np.random.RandomState(9)
    ours.random_sample(draws_before), ref.random_sample(draws_before)
    key, pos, store = _rng.mt_state(ours)
    state = ref.get_state(legacy=False)["state"]
    np.testing.assert_array_equal(key, state["key"])
    assert pos[0] == state["pos"]
    order = permutation(1000, ours)  # draws from (key, pos) and stores
    np.testing.assert_array_equal(order, ref.permutation(1000))
    assert ours.random_sample() == ref.random_sample()


def test_mt_state_get_state_route_equals_the_direct_one(monkeypatch):
    monkeypatch.setattr(_rng, "_DIRECT", [False])
    ours, ref = np.random.RandomState(2), np.random.RandomState(2)
    np.testing.assert_array_equal(permutation(3000, ours), ref.permutation(3000))
    assert ours.randint(2**31) == ref.randint(2**31)


def test_fits_with_an_int_seed_equal_fits_with_its_randomstate():
    """The pooled generator gives every fit the draws of ``RandomState(seed)``."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.randn(300)
    params = dict(batch_size=16, max_iter=5, tol=None)
    a = SGDLinearRegressor(random_state=11, **params).fit(X, y)
    b = SGDLinearRegressor(random_state=np.random.RandomState(11), **params).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


def test_streams_in_threads_do_not_share_generators():
    seen, errors = [], []

    def work(seed):
        try:
            with _rng.stream(seed) as rng:
                seen.append(id(rng))
                got = rng.random_sample(2000)
            np.testing.assert_array_equal(got, np.random.RandomState(seed).random_sample(2000))
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
