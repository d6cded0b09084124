"""Neural-collapse metrics NC1–NC4 (Papyan, Han, Donoho, PNAS 2020; Han et al., ICLR 2022 for MSE)."""

import jax.numpy as jnp


def neural_collapse_metrics(features, labels, classifier, bias, num_classes: int) -> dict:
    """NC1–NC4 of penultimate ``features`` (n, d) with integer ``labels`` (n,), ``classifier`` (C, d)
    and ``bias`` (C,) (zeros for a bias-free classifier). Every class must occur.

    * ``nc1`` = Tr(Σ_W Σ_B^†)/C (within-class variability against between-class);
    * ``equinorm_means``/``equinorm_classifier``: std/mean of ‖μ_c − μ_G‖ and of ‖w_c‖;
    * ``cos_means``/``cos_classifier`` (C, C): pairwise cosines of the centred class means / of the
      classifier rows; ``equiangular_*`` = mean over c ≠ c' of |cos + 1/(C − 1)| (0 for a simplex ETF);
    * ``nc3`` = ‖Wᵀ/‖W‖_F − M̄/‖M̄‖_F‖²_F with M̄ = [μ_c − μ_G]_c (self-duality);
    * ``nc4``: the share of samples whose classifier decision differs from the nearest class mean.
    """
    onehot = (labels[:, None] == jnp.arange(num_classes)[None, :]).astype(features.dtype)  # (n, C)
    counts = jnp.sum(onehot, axis=0)
    means = (onehot.T @ features) / counts[:, None]  # (C, d)
    global_mean = jnp.mean(means, axis=0, keepdims=True)
    centred = means - global_mean
    within = features - onehot @ means
    sigma_w = within.T @ within / features.shape[0]
    sigma_b = centred.T @ centred / num_classes
    nc1 = jnp.trace(sigma_w @ jnp.linalg.pinv(sigma_b, hermitian=True)) / num_classes

    def cosines(rows):
        unit = rows / jnp.linalg.norm(rows, axis=1, keepdims=True)
        return unit @ unit.T

    off = ~jnp.eye(num_classes, dtype=bool)
    target = -1.0 / (num_classes - 1)
    cos_m, cos_w = cosines(centred), cosines(classifier)
    norms_m, norms_w = jnp.linalg.norm(centred, axis=1), jnp.linalg.norm(classifier, axis=1)
    duality = classifier.T / jnp.linalg.norm(classifier) - centred.T / jnp.linalg.norm(centred)
    decision = jnp.argmax(features @ classifier.T + bias[None, :], axis=1)
    nearest = jnp.argmin(jnp.sum((features[:, None, :] - means[None, :, :]) ** 2, axis=2), axis=1)
    return {
        "nc1": nc1,
        "equinorm_means": jnp.std(norms_m) / jnp.mean(norms_m),
        "equinorm_classifier": jnp.std(norms_w) / jnp.mean(norms_w),
        "cos_means": cos_m,
        "cos_classifier": cos_w,
        "equiangular_means": jnp.sum(jnp.where(off, jnp.abs(cos_m - target), 0.0)) / jnp.sum(off),
        "equiangular_classifier": jnp.sum(jnp.where(off, jnp.abs(cos_w - target), 0.0)) / jnp.sum(off),
        "nc3": jnp.sum(duality**2),
        "nc4": jnp.mean(decision != nearest),
    }
