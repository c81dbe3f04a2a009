"""The demo's quick run: every temporal module beats the frame-averaging baseline by a clear
margin on held-out clips, DAM localises events far above chance, and the results are written as
JSON."""
import json

import pytest

pytest.importorskip("torch")
from vidtemporal import demo  # noqa: E402


def test_quick_demo_temporal_modules_beat_tsn(tmp_path):
    results = demo.main(["--quick", "--output", str(tmp_path)])
    dam = results.pop("dam")
    assert set(results) == set(demo.VARIANTS)
    baseline = results["tsn"]["accuracy"]
    for variant in set(demo.VARIANTS) - {"tsn"}:
        # Four balanced classes: the baseline sits near 25%; a module that sees motion is far above.
        assert results[variant]["accuracy"] > baseline + 0.25, (variant, results)
    # DAM localises events far above chance in both directions, and beats predicting background.
    assert min(dam["A2V"], dam["V2A"]) > 2 * dam["cml_chance"], dam
    assert dam["event_localization"] > dam["background_only"] + 0.1, dam
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["variants"] == results and saved["dam"] == dam


def test_unknown_variant_is_an_error(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--variants", "tsn,nope"])
    assert "nope" in capsys.readouterr().err


def test_distributed_training_matches_one_process():
    # Two processes each take half of every global batch; DDP averages their gradients, so the
    # loss curve is single-process training's on the same batches (up to float32 rounding in the
    # gradient all-reduce).
    import numpy as np

    rng = np.random.default_rng(0)
    data = [demo.moving_squares(200, 8, 16, rng), demo.moving_squares(50, 8, 16, rng)]
    single = demo.train("tsm", data, 15, 8, seed=3)
    distributed = demo.train_distributed(2, "tsm", data, 15, 8, seed=3)
    np.testing.assert_allclose(distributed["losses"], single["losses"], rtol=1e-5)
    assert single["losses"][-1] < single["losses"][0]
