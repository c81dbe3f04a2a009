"""The demo's plots (matplotlib, written as PNG files): training curves of every variant, the
offsets TIN learned, the motion MS sees in a few validation clips, and GTA's learned T x T
attention matrices."""
import os

import matplotlib

matplotlib.use("Agg")   # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_training(path, results, names, chance):
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for variant, r in results.items():
        losses = np.asarray(r["losses"])
        window = max(1, min(25, len(losses) // 10))
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        loss_ax.plot(np.arange(window, len(losses) + 1), smooth, label=names[variant])
        steps, accuracy = zip(*r["accuracy_curve"])
        acc_ax.plot(steps, accuracy, marker="o", label=names[variant])
    loss_ax.set(xlabel="training step", ylabel="training loss (moving average)", title="Training loss")
    acc_ax.axhline(chance, color="gray", linestyle="--", label="chance")
    acc_ax.set(xlabel="training step", ylabel="validation accuracy", ylim=(0, 1.02), title="Held-out accuracy")
    loss_ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tin_offsets(path, model, frames, t):
    """Histogram of the temporal offsets every TemporalInterlace layer predicts on validation
    clips: where the learned shifts sit (TSM's fixed shift would be exactly +-1)."""
    import torch

    from vidtemporal.torch import TemporalInterlace

    layers = [m for m in model.modules() if isinstance(m, TemporalInterlace)]
    with torch.no_grad():
        model(torch.from_numpy(frames[:200 * t]))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(-2, 2, 41)
    for i, layer in enumerate(layers):
        ax.hist(layer.last_offsets.numpy().ravel(), bins=bins, alpha=0.6, label=f"block {i + 1}")
    ax.set(xlabel="learned offset (frames; the reversed channels use its negative)", ylabel="clips x groups",
           title="TIN: learned temporal offsets on validation clips")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ms_displacement(path, model, frames, labels, t, classes, stride, moves):
    """The MS module's displacement field (u, v) between frames 3 and 4 of one validation clip
    per moving class (``moves``: class -> (dy, dx) per frame), drawn over frame 3 where its
    confidence is in the top fifth of the interior cells. The features are whatever the network
    learned to correlate, so the field need not look like optical flow. Arrows are in
    input pixels (u, v times the patch radius in feature cells, times the cells' stride); the mean
    is over those pixels."""
    import torch

    from vidtemporal.torch import MotionSqueeze, motion_squeeze

    module = next(m for m in model.modules() if isinstance(m, MotionSqueeze))
    captured = {}
    hook = module.reduce.register_forward_hook(lambda _m, _i, out: captured.update(reduced=out))
    shown = [int(np.flatnonzero(labels == c)[0]) for c in moves if (labels == c).any()]
    fig, axes = plt.subplots(1, len(shown), figsize=(3 * len(shown), 3.3), squeeze=False)
    radius = (module.patch_size - 1) // 2
    try:
        for ax, clip in zip(axes[0], shown):
            x = torch.from_numpy(frames[clip * t:(clip + 1) * t])
            with torch.no_grad():
                model(x)
                field = motion_squeeze(captured["reduced"], t, module.patch_size, module.sigma,
                                       module.temperature).numpy()
            frame = 3
            ax.imshow(x[frame, 0].numpy(), cmap="gray")
            h, w = field.shape[-2:]
            ys, xs = np.mgrid[0:h, 0:w] * stride + (stride - 1) / 2
            u, v = field[frame, 0] * radius * stride, field[frame, 1] * radius * stride
            # Cells whose patch reaches past the border correlate with zero padding: left out.
            interior = np.zeros((h, w), bool)
            interior[radius:h - radius, radius:w - radius] = True
            confidence = field[frame, 2]
            confident = interior & (confidence >= np.quantile(confidence[interior], 0.8))
            xs, ys, u, v = xs[confident], ys[confident], u[confident], v[confident]
            ax.quiver(xs, ys, u, v, color="red", angles="xy", scale_units="xy", scale=1, width=0.008)
            dy, dx = moves[labels[clip]]
            ax.set_title(f"{classes[labels[clip]]} (true ({dx:+d}, {dy:+d}) px)\n"
                         f"mean (u, v) = ({u.mean():+.1f}, {v.mean():+.1f}) px", fontsize=8)
            ax.axis("off")
    finally:
        hook.remove()
    fig.suptitle("MS: displacement from frame 3 to 4, learned features", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_gta_attention(path, model):
    """GTA's learned T x T matrices (pixel and region attention, one per channel group): row t
    is how output frame t mixes the T input frames."""
    from vidtemporal.torch import GlobalTemporalAttention

    module = next(m for m in model.modules() if isinstance(m, GlobalTemporalAttention))
    parts = [(name, getattr(module, f"{name}_attn").detach().numpy()) for name in ("pixel", "region")
             if getattr(module, name)]
    groups = module.groups
    fig, axes = plt.subplots(len(parts), groups, figsize=(2.4 * groups + 1, 2.4 * len(parts) + 0.4), squeeze=False,
                             layout="constrained")
    for row, (name, attn) in zip(axes, parts):
        limit = np.abs(attn).max()
        for g, ax in enumerate(row):
            image = ax.imshow(attn[g, g], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"{name}, group {g}", fontsize=8)
            ax.set_xlabel("input frame", fontsize=7)
            ax.set_ylabel("output frame", fontsize=7)
            ax.tick_params(labelsize=6)
        fig.colorbar(image, ax=list(row), shrink=0.9)
    fig.suptitle("GTA: learned temporal attention matrices", fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(output, results, models, validation, t, names, classes, stride, moves):
    """Every plot the trained variants allow; returns the paths written."""
    frames, labels = validation
    paths = []

    def save(name, draw, *args):
        path = os.path.join(output, name)
        draw(path, *args)
        paths.append(path)

    save("training.png", plot_training, results, names, 1 / len(classes))
    if "tin" in models:
        save("tin_offsets.png", plot_tin_offsets, models["tin"], frames, t)
    if "ms" in models:
        save("ms_displacement.png", plot_ms_displacement, models["ms"], frames, labels, t, classes, stride, moves)
    if "gta" in models:
        save("gta_attention.png", plot_gta_attention, models["gta"])
    return paths
