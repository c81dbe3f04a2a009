"""DAM at the torch level: values and autograd gradients against autograd of the masked-attention
reference, gradcheck in float64, opcheck, the loss, the module, and a short training run on the
synthetic AVE data that brings A2V and V2A localisation far above chance."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt
import reference
from tolerances import tolerance
from vidtemporal import ave  # noqa: E402
import synthetic_ave  # noqa: E402  (examples/demo is on the path: conftest.py)


def problem(gen, n, t, d, dk, dtype, mask_kind):
    audio, visual = (torch.randn(n, t, d, generator=gen, dtype=dtype) for _ in range(2))
    mask = {"random": torch.randint(0, 2, (n, t), generator=gen), "none": torch.zeros(n, t),
            "all": torch.ones(n, t)}[mask_kind].to(dtype)
    weights = [torch.randn(*shape, generator=gen, dtype=dtype) / d ** 0.5 for shape in [(d, dk), (d, dk), (d, d)] * 2]
    return [audio, visual, mask, *weights]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_equal_autograd_of_reference(dtype):
    gen = torch.Generator().manual_seed(0)
    rtol, atol = tolerance("dual_attention_matching", str(dtype).split(".")[1])
    for (n, t), (d, dk), kind in itertools.product([(1, 1), (3, 5)], [(4, 2), (16, 8)], ["random", "none", "all"]):
        inputs = problem(gen, n, t, d, dk, dtype, kind)
        ours = [x.clone().requires_grad_(i != 2) for i, x in enumerate(inputs)]
        theirs = [x.clone().requires_grad_(i != 2) for i, x in enumerate(inputs)]
        out, ref = vtt.dual_attention_matching(*ours), reference.dual_attention_matching(*theirs)
        label = f"N={n} T={t} D={d} Dk={dk} mask={kind} {dtype}"
        grads = [torch.randn(o.shape, generator=gen, dtype=dtype) for o in out]
        for i, (a, b) in enumerate(zip(out, ref)):
            torch.testing.assert_close(a, b, rtol=rtol, atol=atol, msg=f"output {i} {label}")
        torch.autograd.backward(out, grads)
        torch.autograd.backward(ref, grads)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if i == 2:
                assert a.grad is None
                continue
            torch.testing.assert_close(a.grad, b.grad, rtol=rtol, atol=atol, msg=f"grad {i} {label}")


def test_gradcheck_float64():
    gen = torch.Generator().manual_seed(1)
    inputs = problem(gen, 2, 4, 3, 2, torch.float64, "random")
    inputs[2] = torch.tensor([[1.0, 1, 0, 1], [0, 1, 1, 0]], dtype=torch.float64)
    for i, x in enumerate(inputs):
        x.requires_grad_(i != 2)
    assert torch.autograd.gradcheck(vtt.dual_attention_matching, tuple(inputs))
    p = torch.tensor([0.2, 0.7, 0.9], dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0.1, 0.9, 0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(vtt.dam_loss, (p, labels))


def test_opcheck():
    ops = torch.ops.vidtemporal
    gen = torch.Generator().manual_seed(2)
    inputs = problem(gen, 2, 3, 4, 2, torch.float32, "random")
    for i, x in enumerate(inputs):
        x.requires_grad_(i != 2)
    torch.library.opcheck(ops.dual_attention_matching_forward, (*inputs, [True]))
    torch.library.opcheck(ops.dual_attention_matching_forward, (*inputs, [False]))
    grads = [torch.randn(2, 3), None, torch.randn(2, 3), None, torch.randn(2, 4)]
    torch.library.opcheck(ops.dual_attention_matching_backward,
                          (*grads, *(x.detach() for x in inputs), None, [True, False, True, True, False, True, True, True]))
    torch.library.opcheck(ops.dam_loss_forward, (torch.tensor([0.3, 0.6], requires_grad=True), torch.tensor([0.0, 1.0])))


def test_loss_matches_torch_bce_including_the_edges():
    p = torch.tensor([0.0, 1.0, 0.25, 1.0, 0.0, 0.6], dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.5], dtype=torch.float64)
    ours = vtt.dam_loss(p, labels)
    (g,) = torch.autograd.grad(ours, p)
    p2 = p.detach().clone().requires_grad_()
    theirs = torch.nn.functional.binary_cross_entropy(p2, labels)
    (g2,) = torch.autograd.grad(theirs, p2)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(g, g2)


def test_backward_with_some_outputs_unused():
    gen = torch.Generator().manual_seed(3)
    inputs = problem(gen, 2, 4, 5, 3, torch.float64, "random")
    for i, x in enumerate(inputs):
        x.requires_grad_(i != 2)
    p_audio = vtt.dual_attention_matching(*inputs)[1]
    grads = torch.autograd.grad(p_audio.sum(), [x for i, x in enumerate(inputs) if i != 2])
    theirs = [x.detach().clone().requires_grad_(i != 2) for i, x in enumerate(inputs)]
    # p_audio does not depend on the audio attention weights: their gradients are zero.
    want = torch.autograd.grad(reference.dual_attention_matching(*theirs)[1].sum(),
                               [x for i, x in enumerate(theirs) if i != 2], allow_unused=True)
    for g, w in zip(grads, want):
        torch.testing.assert_close(g, torch.zeros_like(g) if w is None else w)


def test_module_and_errors():
    model = vtt.DualAttentionMatching(audio_dim=8, visual_dim=12, dim=6, key_dim=3)
    p, p_audio, p_visual, global_audio, global_visual = model(torch.randn(2, 5, 8), torch.randn(2, 5, 12),
                                                              torch.ones(2, 5))
    assert p.shape == (2, 5) and global_visual.shape == (2, 6)
    with pytest.raises(ValueError, match="mask is on meta"):
        vtt.dual_attention_matching(*[torch.ones(1, 2, 3)] * 2, torch.ones(1, 2, device="meta"),
                                    *[torch.ones(3, 3)] * 6)
    with pytest.raises(ValueError, match="built without num_classes"):
        model.classify(global_audio, global_visual)
    with pytest.raises(TypeError, match="labels is float64 but p is float32"):
        vtt.dam_loss(p.detach(), torch.ones(2, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="other_local is on meta"):
        vtt.cml_localize(torch.ones(3), torch.ones(4, 3, device="meta"), 2)


def test_training_localises_events_far_above_chance():
    train = synthetic_ave.make_synthetic_ave(600, seed=0)
    test = synthetic_ave.make_synthetic_ave(200, seed=1)
    torch.manual_seed(0)
    model = vtt.DualAttentionMatching(num_classes=5)
    losses = synthetic_ave.train_dam(model, train, steps=150)
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    chance = ave.cml_chance(test["lengths"], 10)
    for direction in ("A2V", "V2A"):
        accuracy = ave.cml_accuracy(synthetic_ave.localize_events(model, test, direction), test["starts"], test["lengths"], 10)
        assert accuracy > 2.5 * chance, (direction, accuracy, chance)
    with torch.no_grad():
        p, _, _, ga, gv = model(torch.from_numpy(test["audio"]), torch.from_numpy(test["visual"]), torch.ones(200, 10))
        classes = model.classify(ga, gv).argmax(1).numpy()
    background_only = float((test["labels"] == 0).mean())
    assert ave.event_localization_accuracy(p.numpy(), classes, test["labels"], test["classes"]) > background_only + 0.1
