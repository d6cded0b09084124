"""Verdict weakenings of synflow_conservation (run: mutation_campaign.py --check synflow_conservation)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/synflow_conservation.py"
T = ("theory_tests/test_verdict_synflow_conservation.py", "theory_tests/test_wide.py", "-k",
     "synflow and not other_seeds")

MUTANTS = [
    Mutant("synflow-signed-dropped", P, "error = max(layer_error, neuron_error, signed_error)",
           "error = max(layer_error, neuron_error)", "the signed (data-loss) conservation criterion dropped", tests=T),
    Mutant("synflow-neuron-dropped", P, "error = max(layer_error, neuron_error, signed_error)",
           "error = max(layer_error, signed_error)", "the neuron-wise conservation criterion dropped", tests=T),
    Mutant("synflow-tolerance-10x", P, "tolerance = 2.0 * (config.depth", "tolerance = 20.0 * (config.depth",
           "the rounding tolerance loosened 10x", tests=T),
    Mutant("synflow-layer-no-abs", P, "layer_error = float(np.max(np.abs(layer_sums - r_numpy)) / r_numpy)",
           "layer_error = float(np.max(layer_sums - r_numpy) / r_numpy)", "the abs dropped: a layer sum below R passes", tests=T),
    Mutant("synflow-small-steps-any", P, "small_steps = bool(np.all(cut_ratio < 1.0))",
           "small_steps = bool(np.any(cut_ratio < 1.0))", "the step-size hypothesis checked on any round, not all", tests=T),
    Mutant("synflow-disconnected-not-collapse", P, "collapsed = {name: bool(np.any(kept[name] == 0) or not connected[name])",
           "collapsed = {name: bool(np.any(kept[name] == 0))", "a disconnected mask without an empty layer counted intact", tests=T),
    Mutant("synflow-snip-contrast-dropped", P, 'baselines_intact = [name for name in ("magnitude", "snip") if not collapsed[name]]',
           'baselines_intact = [name for name in ("magnitude",) if not collapsed[name]]',
           "an intact SNIP baseline not noticed", tests=T),
    Mutant("synflow-neuron-best", P, "neuron_error = float(np.max(np.concatenate(neuron_errors)))",
           "neuron_error = float(np.min(np.concatenate(neuron_errors)))", "the worst neuron replaced by the best", tests=T),
]
MUTANTS += [
    Mutant("synflow-remedy-outside-range", P, "if limit > data[\"compression\"] + 0.05 else", "if True else",
           "the no-contrast remedy asks for a compression validate rejects", tests=T),
]
