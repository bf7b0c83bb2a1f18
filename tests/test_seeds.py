"""Every seed rule lives in ``sim.seeds`` and gives the streams it always gave.

The values below were drawn from the rules where they lived before they moved here
(calibration stages, ABC generations, sensitivity bootstraps); a rule that changes would
change results, so it must be renewed deliberately, with the golden hashes.
"""

import ast
from pathlib import Path

import sim
from sim.seeds import (
    ABC_PROPOSALS,
    BOOTSTRAP,
    CALIBRATION_DRAWS,
    CALIBRATION_RUNS,
    abc_generation_rng,
    bootstrap_rng,
    draw_seed,
    run_seed,
    stage_draws_rng,
    stage_seed,
)


def test_the_calibration_and_abc_streams_are_the_ones_they_were():
    assert stage_seed(5, 0) == 218553291
    assert stage_seed(5, 1000) == 1924586410
    assert stage_draws_rng(5, 3).random() == 0.7464249968656229
    assert abc_generation_rng(5, 1).random() == 0.5281538666676546


def test_the_bootstrap_streams_are_the_ones_they_were_and_named_apart():
    assert bootstrap_rng(4, "share_final_year", "category", 16).random() == 0.6538169704874843
    assert bootstrap_rng(4, "x", "parameter", "morris").random() == 0.4039893814002289
    assert (
        bootstrap_rng(4, "x", "parameter", 16).random()
        != bootstrap_rng(4, "y", "parameter", 16).random()
    )


def test_no_two_rules_share_a_first_spawn_key():
    firsts = [CALIBRATION_RUNS, CALIBRATION_DRAWS, ABC_PROPOSALS, BOOTSTRAP]
    assert len(set(firsts)) == len(firsts)
    # run seeds start with the design row; these keys lie far beyond any design's rows
    assert min(firsts) > 10_000
    assert run_seed(9, 1, 2).spawn_key == (1, 2) and draw_seed(9, 1, 2).spawn_key == (1, 2, 1)


def _seed_sequence_calls(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(
        isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "SeedSequence"
        for node in ast.walk(tree)
    )


def test_no_seed_sequence_is_made_outside_the_seeds_module():
    root = Path(sim.__file__).parent
    makers = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path.name != "seeds.py" and _seed_sequence_calls(path)
    ]
    assert makers == []
    assert _seed_sequence_calls(root / "seeds.py") >= 5  # the check can see a call
