"""Neural collapse on a real network: NC1–NC4 of a ReLU MLP trained on digits with MSE + WD.

The companion figure of the ``neural_collapse`` check (which tests the unconstrained-features
model exactly): a bias-ful ReLU MLP 64 → W → W → W → 10 on scikit-learn's digits
(:func:`models.load_digits`, the training split of 1348 samples, standardised, one-hot targets),
square loss (1/n)Σ‖f(x) − y‖² and weight decay on every parameter: the paper's L + λ‖θ‖² is
``dynamics.plain_sgd(μ, weight_decay=2λ)``, so one step multiplies θ by (1 − 2μλ); no momentum.
Minibatch SGD (``dynamics.sgd``) runs well past interpolation (100% training accuracy), and an
observer records, every ``--every`` steps on the whole training set, the metrics of
:func:`dynamics.neural_collapse_metrics` on the penultimate features (the last hidden layer, after
its ReLU) with the last layer as the classifier: NC1 = Tr(Σ_W Σ_B^†)/C; NC2 as the equinorm
(std/mean of the norms) and equiangularity (mean |cos + 1/(C − 1)|) of the centred class means
and of the classifier rows; NC3 = ‖Wᵀ/‖W‖_F − M̄/‖M̄‖_F‖²_F; NC4 the share of samples where the
classifier and the nearest class mean disagree. Xu, Rangamani, Liao, Galanti, Poggio, Research
2023 (square loss + WD → collapse); Papyan, Han, Donoho, PNAS 2020 (the metrics).

    python scripts/neural_collapse_digits.py --out runs/figures/neural_collapse_digits
    python scripts/neural_collapse_digits.py --quick --out /tmp/nc   # smoke test

Writes ``OUT/neural_collapse_digits.npz`` (times, every metric, training loss and accuracy, test
accuracy, the settings as JSON), ``OUT/neural_collapse_digits.png`` and
``OUT/neural_collapse_digits.json`` (the metrics at the start, at interpolation and at the end).
This is a figure, not a check: nothing here is a verdict.
"""

import argparse
import json
import os
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from theorycheck import dynamics  # noqa: E402
from theorycheck import models  # noqa: E402

CLASSES = 10
SCALARS = ("nc1", "equinorm_means", "equinorm_classifier", "equiangular_means", "equiangular_classifier", "nc3",
           "nc4")


def features(params, x):
    """Penultimate features: every layer but the last, each followed by its ReLU."""
    h = x
    for layer in params[:-1]:
        h = jax.nn.relu(h @ layer["w"] + layer["b"][None, :])
    return h


def simulate(args, key):
    key_data, key_init, key_run = jax.random.split(key, 3)
    x, y, x_test, y_test = models.load_digits(key_data)
    labels = jnp.argmax(y, axis=1)
    net = models.mlp([64] + [args.width] * args.hidden + [CLASSES], bias=True)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    def observe(params, key):
        del key
        last = params[-1]
        metrics = dynamics.neural_collapse_metrics(features(params, x), labels, last["w"].T, last["b"], CLASSES)
        return {
            **{k: metrics[k] for k in SCALARS},
            "train_loss": loss(params, (x, y)),
            "train_accuracy": jnp.mean(jnp.argmax(net.apply(params, x), 1) == labels),
            "test_accuracy": jnp.mean(jnp.argmax(net.apply(params, x_test), 1) == jnp.argmax(y_test, 1)),
        }

    run = dynamics.sgd(loss, dynamics.plain_sgd(args.lr, weight_decay=2 * args.weight_decay), (x, y),
                       batch_size=args.batch_size, num_steps=args.steps, every=args.every,
                       observers={"m": dynamics.stateless(observe)})
    return jax.jit(run)(net.init(key_init), key_run)


def plot(times, series, interpolated_at, settings, path):
    from theorycheck.checks._common import figure

    fig, axes = figure(1, 3, figsize=(18, 4.4))
    ax = axes[0, 0]
    for name, label in (("nc1", "NC1: Tr(Σ_W Σ_B^†)/C"), ("nc3", "NC3: ‖Wᵀ/‖W‖ − M̄/‖M̄‖‖²"),
                        ("nc4", "NC4: classifier ≠ nearest class mean")):
        ax.semilogy(times, np.maximum(series[name], 1e-6), "o-", ms=3, label=label)
    ax.set_ylabel("metric (0 at collapse; NC4 = 0 drawn at 1e-6)")
    ax.set_title("NC1, NC3, NC4", fontsize=9)
    ax = axes[0, 1]
    for name, label in (("equinorm_means", "NC2 equinorm, class means"),
                        ("equinorm_classifier", "NC2 equinorm, classifier"),
                        ("equiangular_means", "NC2 |cos + 1/(C−1)|, class means"),
                        ("equiangular_classifier", "NC2 |cos + 1/(C−1)|, classifier")):
        ax.semilogy(times, series[name], "o-", ms=3, label=label)
    ax.set_title("NC2: equal norms and simplex-ETF angles", fontsize=9)
    ax = axes[0, 2]
    ax.semilogy(times, series["train_loss"], "k-", label="training loss (1/n)Σ‖f(x) − y‖²")
    ax.semilogy(times, 1.0 - series["train_accuracy"] + 1e-4, "C0--", label="training error (+1e-4)")
    ax.semilogy(times, 1.0 - series["test_accuracy"] + 1e-4, "C1--", label="test error (+1e-4)")
    ax.set_title(f"digits, MLP 64→{settings['width']}×{settings['hidden']}→10, μ = {settings['lr']:g}, "
                 f"λ = {settings['weight_decay']:g}, B = {settings['batch_size']}", fontsize=9)
    for ax in axes[0]:
        if interpolated_at is not None:
            ax.axvline(interpolated_at, color="k", ls=":", lw=1)
        ax.set_xlabel("SGD step (dotted: 100% training accuracy)")
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=3, help="hidden layers")
    parser.add_argument("--lr", type=float, default=0.05, help="SGD step size μ")
    parser.add_argument("--weight-decay", type=float, default=5e-4, help="the paper's λ (plain_sgd weight_decay = 2λ)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke test: width 32, 400 steps")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/figures/neural_collapse_digits"))
    args = parser.parse_args(argv)
    if args.quick:
        args.width, args.steps, args.every = 32, 400, 100
    if args.steps % args.every:
        parser.error(f"--every ({args.every}) must divide --steps ({args.steps})")
    os.makedirs(args.out, exist_ok=True)
    jax.config.update("jax_enable_x64", True)  # NC1's pseudo-inverse and metrics near 0 need float64
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "quick")}
    start = time.perf_counter()
    trajectory = simulate(args, jax.random.key(args.seed))
    series = {k: np.asarray(v) for k, v in trajectory.observations["m"].items()}
    seconds = time.perf_counter() - start
    times = np.asarray(trajectory.times)
    interpolating = np.nonzero(series["train_accuracy"] >= 1.0)[0]
    at = int(interpolating[0]) if interpolating.size else None
    summary = {
        "settings": settings, "seconds": round(seconds, 1), "diverged": bool(trajectory.diverged),
        "interpolation_step": None if at is None else int(times[at]),
        "start": {k: float(v[0]) for k, v in series.items()},
        "interpolation": None if at is None else {k: float(v[at]) for k, v in series.items()},
        "end": {k: float(v[-1]) for k, v in series.items()},
    }
    base = os.path.join(args.out, "neural_collapse_digits")
    np.savez(base + ".npz", times=times, **series, settings=np.asarray(json.dumps(settings)))
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    plot(times, series, None if at is None else times[at], settings, base + ".png")
    print(f"{seconds:.1f} s; 100% training accuracy at step {summary['interpolation_step']}")
    print(f"{'metric':24s} {'start':>10s} {'interpolation':>14s} {'end':>10s}")
    for k in (*SCALARS, "train_loss", "train_accuracy", "test_accuracy"):
        mid = "" if at is None else f"{series[k][at]:.4g}"
        print(f"{k:24s} {series[k][0]:10.4g} {mid:>14s} {series[k][-1]:10.4g}")
    return summary


if __name__ == "__main__":
    main()
