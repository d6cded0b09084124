"""fast_adversarial_bilevel: the bounds (hand-computed values), the attacks and adversarial SGD in
dynamics, and real runs of the check and its ℓ2 control at quick sizes (trend under -m slow)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds, dynamics, get_check, make_config

QUICK = {"samples": 16, "width": 16, "directions": 2}


def test_lp_and_l2_lower_levels_by_hand():
    g = np.array([-1.0, 2.0, -0.5, 0.0])
    delta, value = bounds.linear_lower_level_lp(g, 0.3)
    assert value == pytest.approx(-0.3 * 3.5, rel=1e-14)  # −ε‖g‖₁
    np.testing.assert_allclose(delta[:3], [0.3, -0.3, 0.3])
    _, value = bounds.linear_lower_level_l2(np.array([3.0, -4.0]), 0.5)
    assert value == pytest.approx(-2.5, rel=1e-9)  # −ε‖g‖₂ = −0.5·5


def test_box_qp_closed_form_solver_and_implicit_jvp_by_hand():
    z, g, lam, eps = np.array([0.1, -0.2, 0.0]), np.array([1.0, -0.05, 0.02]), 2.0, 0.3
    expected = np.array([-0.3, -0.175, -0.01])  # clip(z − g/λ): 0.1−0.5 → −0.3; −0.2+0.025; 0−0.01
    np.testing.assert_allclose(bounds.zhang22_lower_level_solution(z, g, lam, eps), expected, atol=1e-15)
    np.testing.assert_allclose(bounds.box_qp_bvls(z, g, lam, eps), expected, atol=1e-15)
    np.testing.assert_allclose(bounds.zhang22_implicit_jvp(expected, np.array([1.0, 2.0, 4.0]), lam, eps),
                               [0.0, -1.0, -2.0])
    with jax.enable_x64(True):
        solved = bounds.box_qp_projected_gradient(jnp.asarray(z), jnp.asarray(g), lam, eps)
        _, tangent = jax.jvp(lambda gg: bounds.box_qp_projected_gradient(jnp.asarray(z), gg, lam, eps),
                             (jnp.asarray(g),), (jnp.array([1.0, 2.0, 4.0]),))
    np.testing.assert_allclose(solved, expected, atol=1e-15)
    np.testing.assert_allclose(tangent, [0.0, -1.0, -2.0], atol=1e-15)


def test_attacks_stay_in_the_ball_and_fast_bat_differentiates():
    w = jnp.array([[1.0, -1.0], [0.5, 2.0]])

    def sample_loss(params, x, y):
        return -jnp.sum(jax.nn.log_softmax(x @ params) * y, axis=-1)

    x, y = jnp.array([[0.3, -0.2], [1.0, 0.5]]), jnp.eye(2)
    key = jax.random.key(0)
    g = dynamics.input_gradient(sample_loss, w, x, y, jnp.zeros_like(x))
    np.testing.assert_allclose(dynamics.fgsm_perturbation(g, 0.1), 0.1 * jnp.sign(g))
    for attack in (dynamics.fast_at_attack(sample_loss, 0.1), dynamics.fast_bat_attack(sample_loss, 0.1, 1.0),
                   dynamics.pgd_attack(sample_loss, 0.1, steps=3)):
        assert float(jnp.max(jnp.abs(attack(w, x, y, key)))) <= 0.1 + 1e-7
    bat = dynamics.fast_bat_attack(sample_loss, 0.1, 100.0)  # small steps: inactive coordinates
    held = dynamics.adversarial_loss(sample_loss, bat)
    through = dynamics.adversarial_loss(sample_loss, bat, differentiate_attack=True)
    assert float(held(w, (x, y), key)) == pytest.approx(float(through(w, (x, y), key)))
    assert not np.allclose(jax.grad(held)(w, (x, y), key), jax.grad(through)(w, (x, y), key))
    run = dynamics.adversarial_sgd(sample_loss, dynamics.fast_at_attack(sample_loss, 0.1), dynamics.plain_sgd(0.1),
                                   (x, y), batch_size=2, num_steps=20, every=20)
    trajectory = jax.jit(run)(w, key)
    assert trajectory.losses[-1] < trajectory.losses[0]
    with pytest.raises(ValueError, match="batch_size"):
        dynamics.adversarial_sgd(sample_loss, bat, dynamics.plain_sgd(0.1), (x, y), batch_size=3, num_steps=2)


@pytest.fixture(scope="module")
def check():
    return get_check("fast_adversarial_bilevel")


@pytest.mark.parametrize("seed", [1, 2])
def test_l2_control_fails_on_the_sign_step(check, seed):
    # the default passing is the verdict tests' real run (seed 0); the simulation does not read ball
    control = check.run(make_config(check, {**QUICK, "ball": "l2"}), jax.random.key(seed))
    assert control.outcome == "fail" and "(i) the sign step is not the maximiser" in control.reason
    assert control.details["i_max_gap"] > 1e6 * control.details["i_tolerance"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trend_fast_bat_more_robust_at_the_largest_epsilon(check, seed):
    result = check.run(make_config(check, {"trend": True}), jax.random.key(seed))
    assert result.outcome == "pass", result.reason
