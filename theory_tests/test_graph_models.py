"""``models.stochastic_block_model``, ``models.normalized_adjacency`` and ``models.gcn``.

**Statement.** The SBM's within- and between-block edge densities match p_in and p_out within 5
binomial standard errors; Â = D̃^{-1/2}(A + I)D̃^{-1/2} has spectrum in (−1, 1] with top
eigenvalue 1 and eigenvector ∝ √d̃ (Kipf & Welling, ICLR 2017, §2 renormalisation trick); the GCN
computes Â·relu(ÂXW₁)·W₂ (numpy) and is permutation-equivariant: relabelling the nodes permutes
its outputs.
"""

import jax
import numpy as np
import pytest

from theorycheck import models


@pytest.fixture(scope="module")
def graph():
    return models.stochastic_block_model(jax.random.key(0), nodes_per_class=40, classes=3, p_in=0.3, p_out=0.05)


def test_sbm_structure_and_densities(graph):
    a = np.asarray(graph.adjacency)
    labels = np.asarray(graph.labels)
    assert a.shape == (120, 120) and np.array_equal(a, a.T) and np.all(np.diag(a) == 0)
    assert set(np.unique(a)) <= {0.0, 1.0}
    same = labels[:, None] == labels[None, :]
    upper = np.triu(np.ones_like(a, dtype=bool), k=1)
    for mask, p in ((same & upper, 0.3), (~same & upper, 0.05)):
        pairs = mask.sum()
        assert abs(a[mask].mean() - p) < 5 * np.sqrt(p * (1 - p) / pairs), (a[mask].mean(), p)
    assert np.bincount(labels).tolist() == [40, 40, 40]
    assert np.bincount(labels[np.asarray(graph.labelled)]).tolist() == [3, 3, 3]
    assert graph.features.shape == (120, 16)


@pytest.mark.parametrize("kwargs, match", [
    ({"p_in": 1.5}, "p_in"), ({"p_in": 0.01, "p_out": 0.1}, "p_in"), ({"classes": 0}, "classes"),
    ({"labelled_per_class": 50}, "labelled_per_class"), ({"feature_signal": -1.0}, "feature_signal"),
])
def test_sbm_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.stochastic_block_model(jax.random.key(0), **kwargs)


def test_normalized_adjacency_spectrum(graph):
    a = np.asarray(graph.adjacency, dtype=float)
    a_tilde = a + np.eye(a.shape[0])
    d = a_tilde.sum(1)
    expected = a_tilde / np.sqrt(np.outer(d, d))
    a_hat = np.asarray(models.normalized_adjacency(graph.adjacency), dtype=float)
    np.testing.assert_allclose(a_hat, expected, rtol=1e-6, atol=1e-7)
    values, vectors = np.linalg.eigh(expected)
    assert values[-1] == pytest.approx(1.0, abs=1e-10) and values[0] > -1.0
    top = vectors[:, -1] * np.sign(vectors[0, -1])
    np.testing.assert_allclose(top, np.sqrt(d) / np.linalg.norm(np.sqrt(d)), atol=1e-8)
    with pytest.raises(ValueError, match="square"):
        models.normalized_adjacency(np.zeros((3, 4)))


def test_gcn_formula_and_permutation_equivariance(graph):
    net = models.gcn(graph.adjacency, 16, 8, 3)
    params = net.init(jax.random.key(1))
    out = np.asarray(net.apply(params, graph.features))
    a_hat = np.asarray(models.normalized_adjacency(graph.adjacency), dtype=float)
    x, w1, w2 = (np.asarray(v, dtype=float) for v in (graph.features, params["w1"], params["w2"]))
    np.testing.assert_allclose(out, a_hat @ np.maximum(a_hat @ x @ w1, 0) @ w2, rtol=1e-4, atol=1e-5)
    perm = np.random.default_rng(0).permutation(120)
    permuted = models.gcn(np.asarray(graph.adjacency)[perm][:, perm], 16, 8, 3)
    np.testing.assert_allclose(np.asarray(permuted.apply(params, np.asarray(graph.features)[perm])), out[perm],
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="every node"):
        net.apply(params, graph.features[:10])
    with pytest.raises(ValueError, match="hidden"):
        models.gcn(graph.adjacency, 16, 0, 3)
