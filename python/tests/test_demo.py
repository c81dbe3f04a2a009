"""The demo's quick run: every temporal module beats the frame-averaging baseline by a clear
margin on held-out clips, DAM localises events far above chance, and the results (JSON) and the
plots are written; distributed training follows single-process training step by step."""
import json
import os

import pytest

pytest.importorskip("torch")
import demo  # noqa: E402  (examples/demo is on the path: conftest.py)


def test_quick_demo_temporal_modules_beat_tsn(tmp_path):
    results = demo.main(["--quick", "--output", str(tmp_path)])
    dam, plots = results.pop("dam"), results.pop("plots")
    assert set(results) == set(demo.VARIANTS)
    baseline = results["tsn"]["accuracy"]
    for variant in set(demo.VARIANTS) - {"tsn"}:
        # Eight balanced classes, each the reverse of another: frame averaging sits near 12.5%; a
        # module that sees the order of the frames is far above.
        assert results[variant]["accuracy"] > baseline + 0.25, (variant, results)
    # DAM localises events far above chance in both directions, and beats predicting background.
    assert min(dam["A2V"], dam["V2A"]) > 2 * dam["cml_chance"], dam
    assert dam["event_localization"] > dam["background_only"] + 0.1, dam
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["variants"] == results and saved["dam"] == dam
    names = {"training.png", "tin_offsets.png", "ms_displacement.png", "gta_attention.png"}
    assert {p.name for p in tmp_path.glob("*.png")} == names == {os.path.basename(p) for p in plots}
    assert all(os.path.getsize(p) > 10_000 for p in plots)   # a drawn figure, not an empty file


def test_unknown_variant_is_an_error(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--variants", "tsn,nope"])
    assert "nope" in capsys.readouterr().err


def test_distributed_training_matches_one_process():
    # Two processes each take half of every global batch; DDP averages their gradients and
    # BatchNorm normalises with the global batch's statistics, so training follows
    # single-process training on the same batches up to float32 rounding (convolutions over
    # batches of another size, gradients and statistics summed in another order). SGD keeps those
    # differences at their size (Adam's first steps, g / sqrt(v) for tiny g, would amplify them).
    # A BatchNorm on each process's own half-batch is off by ~1e-3 here.
    import numpy as np

    validation = demo.temporal_clips(16, 8, 24, np.random.default_rng(0))
    single, _ = demo.train("tsm", validation, 15, 8, 24, seed=3, optimizer="sgd")
    distributed, _ = demo.train_distributed(2, "tsm", validation, 15, 8, 24, seed=3, optimizer="sgd")
    np.testing.assert_allclose(distributed["losses"], single["losses"], rtol=1e-5)
    assert single["losses"][-1] < single["losses"][0]
