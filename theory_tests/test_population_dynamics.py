"""dynamics.population_training: exploit copies exactly, no selection equals independent SGD runs,
same key gives the same numbers, hyperparameters are data (one trace)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import dynamics, models

P, R, S = 6, 4, 5
_NET = models.mlp((5, 8, 1), "tanh")


def _problem():
    x = jax.random.normal(jax.random.key(0), (48, 5))
    y = x @ jnp.arange(5.0) + 0.1 * jax.random.normal(jax.random.key(1), (48,))

    def loss(p, batch):
        xb, yb = batch
        return 0.5 * jnp.mean((_NET.apply(p, xb)[:, 0] - yb) ** 2)

    params0 = jax.vmap(_NET.init)(jax.random.split(jax.random.key(2), P))
    return loss, (x, y), params0, jnp.geomspace(0.003, 0.3, P)


@pytest.fixture(scope="module")
def setup():
    loss, data, params0, lrs = _problem()
    opt = dynamics.plain_sgd(0.1, momentum=0.5)  # momentum: the optimizer state is not trivial
    run = dynamics.population_training(loss, opt, data, batch_size=8, num_rounds=R, steps_per_round=S,
                                       score_fn=lambda p: loss(p, data), record_states=True)
    go = jax.jit(lambda p, k, h, f, pert, noise, inv: run(p, k, h, fraction=f, perturb=pert, weight_noise=noise,
                                                           invert=inv))
    return loss, data, params0, lrs, opt, go


def _pop(setup, fraction, key=3, perturb=0.2, noise=0.0, invert=False):
    *_, lrs, _, go = setup
    return go(setup[2], jax.random.key(key), {"learning_rate": lrs}, fraction, perturb, noise, invert)


def test_no_selection_is_independent_sgd_bitwise(setup):
    loss, data, params0, lrs, opt, _ = setup
    pop = _pop(setup, 0.0)
    sgd = dynamics.sgd(loss, opt, data, batch_size=8, num_steps=R * S, every=S)
    keys = jax.random.split(jax.random.split(jax.random.key(3))[0], P)
    ind = jax.jit(jax.vmap(lambda p, k, h: sgd(p, k, {"learning_rate": h})))(params0, keys, lrs)
    for a, b in zip(jax.tree.leaves(pop.final_params), jax.tree.leaves(ind.final_params)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.swapaxes(pop.losses, 0, 1).reshape(P, -1), ind.losses)
    np.testing.assert_array_equal(pop.sources, np.tile(np.arange(P), (R, 1)))
    np.testing.assert_array_equal(pop.factors, 1.0)


def test_exploit_copies_state_bitwise_and_explore_scales_lr(setup):
    pop = _pop(setup, 0.34)
    src, before, copied = (np.asarray(a) for a in (pop.sources, pop.states_before, pop.states_copied))
    assert np.any(src[:-1] != np.arange(P)), "the test needs at least one copy"
    for r in range(R):
        for i in range(P):
            np.testing.assert_array_equal(copied[r, i], before[r, src[r, i]])
    k = int(np.floor(0.34 * P))
    lr, f, scores = np.asarray(pop.learning_rates), np.asarray(pop.factors), np.asarray(pop.scores)
    for r in range(R - 1):
        order = np.argsort(scores[r], kind="stable")
        replaced = np.isin(np.arange(P), order[P - k:])
        np.testing.assert_array_equal(src[r] != np.arange(P), replaced)
        assert set(src[r][replaced]) <= set(order[:k])
        assert set(np.unique(f[r][replaced])) <= {np.float32(0.8), np.float32(1.2)}
        np.testing.assert_array_equal(lr[r + 1], lr[r][src[r]] * f[r])  # float32 product, bit for bit
    np.testing.assert_array_equal(src[-1], np.arange(P))


def test_inverted_selection_copies_the_worst(setup):
    pop = _pop(setup, 0.34, invert=True)
    scores, src = np.asarray(pop.scores), np.asarray(pop.sources)
    k = int(np.floor(0.34 * P))
    for r in range(R - 1):
        worst = np.argsort(-scores[r], kind="stable")[:k]
        moved = src[r] != np.arange(P)
        assert set(src[r][moved]) <= set(worst)


def test_weight_noise_only_on_copied_members(setup):
    noisy, clean = _pop(setup, 0.34, noise=0.01), _pop(setup, 0.34)
    np.testing.assert_array_equal(noisy.scores[0], clean.scores[0])
    np.testing.assert_array_equal(noisy.sources[0], clean.sources[0])
    assert not np.array_equal(noisy.scores[1], clean.scores[1])
    kept = np.asarray(noisy.sources[0]) == np.arange(P)
    np.testing.assert_array_equal(np.asarray(noisy.states_copied[0])[kept], np.asarray(clean.states_copied[0])[kept])


def test_same_key_same_numbers_and_one_trace(setup):
    loss, data, params0, lrs, opt, _ = setup
    run = dynamics.population_training(loss, opt, data, batch_size=8, num_rounds=R, steps_per_round=S,
                                       score_fn=lambda p: loss(p, data))

    @jax.jit
    @chex.assert_max_traces(n=1)
    def go(h, f):
        return run(params0, jax.random.key(5), {"learning_rate": h}, fraction=f)

    a, b = go(lrs, 0.34), go(lrs, 0.34)
    np.testing.assert_array_equal(a.scores, b.scores)
    c = go(lrs * 0.5, 0.2)  # new data: no retrace
    assert not np.array_equal(a.scores, c.scores)


@pytest.mark.parametrize("kwargs, name", [
    ({"fraction": 0.6}, "fraction"), ({"perturb": 1.0}, "perturb"), ({"weight_noise": -1.0}, "weight_noise"),
])
def test_bad_selection_values_name_the_argument(setup, kwargs, name):
    loss, data, params0, lrs, opt, _ = setup
    run = dynamics.population_training(loss, opt, data, batch_size=8, num_rounds=R, steps_per_round=S,
                                       score_fn=lambda p: loss(p, data))
    with pytest.raises(ValueError, match=name):
        run(params0, jax.random.key(0), {"learning_rate": lrs}, **kwargs)
    with pytest.raises(ValueError, match="learning_rate"):
        run(params0, jax.random.key(0), {"momentum": lrs})
    with pytest.raises(ValueError, match="num_rounds"):
        dynamics.population_training(loss, opt, data, batch_size=8, num_rounds=0, steps_per_round=S, score_fn=len)
