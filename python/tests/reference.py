"""Slicing references written like the official code, for numpy arrays and (same code) torch
tensors: the independent oracles. Torch autograd through them is the reference gradient."""


def _zeros_like(x):
    return x * 0 if not hasattr(x, "new_zeros") else x.new_zeros(x.shape)


def temporal_shift(x, num_segments, fold_div=8, mode="bidirectional"):
    nt, c, h, w = x.shape
    v = x.reshape(nt // num_segments, num_segments, c, h, w)
    fold = c // fold_div
    out = _zeros_like(v)
    if mode == "bidirectional":
        out[:, :-1, :fold] = v[:, 1:, :fold]                      # from the next frame
        out[:, 1:, fold:2 * fold] = v[:, :-1, fold:2 * fold]      # from the previous frame
        out[:, :, 2 * fold:] = v[:, :, 2 * fold:]
    else:
        out[:, 1:, :fold] = v[:, :-1, :fold]
        out[:, :, fold:] = v[:, :, fold:]
    return out.reshape(nt, c, h, w)


def temporal_shift_backward(grad, num_segments, fold_div=8, mode="bidirectional"):
    """The reverse shift, from the forward's index map rather than its slices: the forward's
    output frame t reads channel band b from frame t + offset(b); its gradient goes back there."""
    nt, c, h, w = grad.shape
    fold = c // fold_div
    bands = ([(slice(0, fold), 1), (slice(fold, 2 * fold), -1), (slice(2 * fold, c), 0)] if mode == "bidirectional"
             else [(slice(0, fold), -1), (slice(fold, c), 0)])
    out = _zeros_like(grad)
    for frame in range(nt):
        t = frame % num_segments
        for channels, offset in bands:
            if 0 <= t + offset < num_segments:
                out[frame + offset, channels] = out[frame + offset, channels] + grad[frame, channels]
    return out


def _shift_clipwise(v, k):
    """v (N, T, ...) and integer shifts k (N,): out[n, t] = v[n, t - k[n]], zeros outside."""
    out = _zeros_like(v)
    t = v.shape[1]
    for n in range(v.shape[0]):
        kn = int(k[n])
        if kn >= t or kn <= -t:
            continue
        if kn >= 0:
            out[n, kn:] = v[n, :t - kn]
        else:
            out[n, :t + kn] = v[n, -kn:]
    return out


def temporal_interlace(x, offsets, weights, num_segments, shift_div=4):
    """TIN the way the official code composes it: two integer shifts blended by the fractional
    part (floor held constant), then the per-frame weights. Works on numpy arrays and on torch
    tensors (where autograd through it is the reference gradient)."""
    nt, c, h, w = x.shape
    t = num_segments
    n, groups = nt // t, offsets.shape[1]
    interlaced = c // shift_div
    size = interlaced // (2 * groups)
    v = x.reshape(n, t, c, h, w)
    torch_like = hasattr(x, "detach")
    parts = []
    for q in range(2 * groups):
        g = q % groups
        s = offsets[:, g] if q < groups else -offsets[:, g]
        k = (s.detach().floor() if torch_like else s // 1)
        a = (s - k).reshape(n, 1, 1, 1, 1)
        chunk = v[:, :, q * size:(q + 1) * size]
        blended = (1 - a) * _shift_clipwise(chunk, k) + a * _shift_clipwise(chunk, k + 1)
        parts.append(weights[:, :, g].reshape(n, t, 1, 1, 1) * blended)
    parts.append(v[:, :, interlaced:])
    if torch_like:
        import torch
        out = torch.cat(parts, 2)
    else:
        import numpy as np
        out = np.concatenate(parts, 2)
    return out.reshape(nt, c, h, w)


def global_temporal_attention(v, attn, num_segments):
    """y[n,t,k*Cg+c,s] = Σ_g Σ_τ attn[k,g,t,τ] v[n,τ,g*Cg+c,s], as one einsum (numpy or torch)."""
    nt, c, s = v.shape
    g = attn.shape[0]
    t = num_segments
    xp = _xp(v)
    blocks = v.reshape(nt // t, t, g, c // g, s)
    return xp.einsum("kgtu,nugcs->ntkcs", attn, blocks).reshape(nt, c, s)


def region_pool(x, assign, normalize=True):
    scale = 1.0 / x.shape[2] if normalize else 1.0
    return _xp(x).einsum("bks,bcs->bck", assign, x) * scale


def region_unpool(r, assign):
    return _xp(r).einsum("bks,bck->bcs", assign, r)


def spatial_attention(q, k, v):
    """softmax over j of q_i · k_j / sqrt(d), applied to v; the max is subtracted first."""
    xp = _xp(q)
    logits = xp.einsum("bdi,bdj->bij", q, k) / q.shape[1] ** 0.5
    if hasattr(logits, "softmax"):
        weights = logits.softmax(-1)
    else:
        e = xp.exp(logits - logits.max(-1, keepdims=True))
        weights = e / e.sum(-1, keepdims=True)
    return xp.einsum("bij,bcj->bci", weights, v)


def _xp(array):
    if hasattr(array, "detach"):
        import torch
        return torch
    import numpy
    return numpy


def dual_attention_matching(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """DAM with masked softmax attention, batched (numpy or torch; torch autograd through it is
    the reference gradient)."""
    torch_like = hasattr(audio, "detach")
    xp = _xp(audio)

    def global_feature(f, wq, wk, wv):
        q, k, v = f @ wq, f @ wk, f @ wv
        logits = q @ k.swapaxes(-1, -2) / q.shape[-1] ** 0.5
        keys = mask[:, None, :] > 0
        has_region = (mask.sum(1) > 0)[:, None, None]
        # Keys outside the region are excluded; a clip with no region gets any finite logits
        # (its rows are all outside the region and drop out of the mean below).
        logits = xp.where(keys & has_region, logits, xp.zeros_like(logits) - 1e30 * has_region)
        if torch_like:
            weights = logits.softmax(-1)
        else:
            e = xp.exp(logits - logits.max(-1, keepdims=True))
            weights = e / e.sum(-1, keepdims=True)
        attended = weights @ v
        count = mask.sum(1)
        count = count.clamp(min=1) if torch_like else xp.maximum(count, 1)
        return (attended * mask[..., None]).sum(1) / count[:, None]

    global_audio = global_feature(audio, wq_a, wk_a, wv_a)
    global_visual = global_feature(visual, wq_v, wk_v, wv_v)
    sigmoid = (lambda z: z.sigmoid()) if torch_like else (lambda z: 1 / (1 + xp.exp(-z)))
    p_audio = sigmoid((audio * global_visual[:, None, :]).sum(-1))
    p_visual = sigmoid((visual * global_audio[:, None, :]).sum(-1))
    return (p_audio + p_visual) / 2, p_audio, p_visual, global_audio, global_visual


def correlation(f1, f2, patch_size, dilation_patch=1):
    """The reference loop over displacements: shift f2 with zero fill, multiply, sum channels
    (numpy or torch; torch autograd through it is the reference gradient)."""
    b, c, h, w = f1.shape
    r = (patch_size - 1) // 2
    torch_like = hasattr(f1, "detach")
    rows = []
    for i in range(patch_size):
        row = []
        for j in range(patch_size):
            dy, dx = (i - r) * dilation_patch, (j - r) * dilation_patch
            shifted = _zeros_like(f2)
            ys, yd = slice(max(0, dy), min(h, h + dy)), slice(max(0, -dy), min(h, h - dy))
            xs, xd = slice(max(0, dx), min(w, w + dx)), slice(max(0, -dx), min(w, w - dx))
            if ys.start < ys.stop and xs.start < xs.stop:
                shifted[:, :, yd, xd] = f2[:, :, ys, xs]
            row.append((f1 * shifted).sum(1))
        rows.append(row)
    if torch_like:
        import torch
        return torch.stack([torch.stack(row, 1) for row in rows], 1)
    import numpy as np
    return np.stack([np.stack(row, 1) for row in rows], 1)


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """MSNet's kernel soft-argmax, batched, with the Gaussian and the argmax as constants (numpy or
    torch; torch autograd through it is the reference gradient)."""
    b, p, _, h, w = corr.shape
    r = (p - 1) // 2
    torch_like = hasattr(corr, "detach")
    xp = _xp(corr)
    scores = corr.reshape(b, p * p, h, w)
    best = (scores.detach() if torch_like else scores).argmax(1)        # first index on ties
    ky, kx = xp.arange(p * p) // p, xp.arange(p * p) % p
    cast = (lambda k: k.to(corr.dtype)) if torch_like else (lambda k: k.astype(corr.dtype))
    offsets = [(cast(k) - r) / max(r, 1) for k in (kx, ky)]
    by, bx = best // p, best % p
    distance = (kx[None, :, None, None] - bx[:, None]) ** 2 + (ky[None, :, None, None] - by[:, None]) ** 2
    distance = distance.to(corr.dtype) if torch_like else distance.astype(corr.dtype)
    gaussian = xp.exp(-distance / (2 * sigma ** 2))
    logits = temperature * gaussian * scores
    if torch_like:
        probabilities = logits.softmax(1)
        confidence = scores.gather(1, best[:, None])
    else:
        e = xp.exp(logits - logits.max(1, keepdims=True))
        probabilities = e / e.sum(1, keepdims=True)
        confidence = xp.take_along_axis(scores, best[:, None], 1)
    if r == 0:
        displacement = xp.stack([probabilities[:, 0] * 0] * 2, 1)
    else:
        u = (probabilities * offsets[0][None, :, None, None]).sum(1)
        v = (probabilities * offsets[1][None, :, None, None]).sum(1)
        displacement = xp.stack([u, v], 1)
    return displacement, confidence


def _truncating_divide(a, b):
    return abs(a) // b * (1 if a >= 0 else -1)


def spatial_correlation_sample(input1, input2, kernel_size, patch_size, stride, padding, dilation, dilation_patch):
    """spatial-correlation-sampler's CPU forward as its source defines it (correlation.cpp): one
    output element at a time, summing over channels and the window's taps where both samples lie
    in the image. Arguments are (h, w) pairs; numpy float64 only (a loop oracle for small cases)."""
    import numpy as np
    (kh, kw), (ph, pw), (sh, sw), (padh, padw), (dh, dw), (dph, dpw) = (kernel_size, patch_size, stride, padding,
                                                                         dilation, dilation_patch)
    b, _, h, w = input1.shape
    oh = _truncating_divide(h + 2 * padh - ((kh - 1) * dh + 1), sh) + 1
    ow = _truncating_divide(w + 2 * padw - ((kw - 1) * dw + 1), sw) + 1
    out = np.zeros((b, ph, pw, oh, ow))
    for n in range(b):
        for p in range(ph):
            for q in range(pw):
                su, sv = (p - _truncating_divide(ph - 1, 2)) * dph, (q - _truncating_divide(pw - 1, 2)) * dpw
                for y in range(oh):
                    for x in range(ow):
                        for i in range(kh):
                            y1 = y * sh - padh + i * dh
                            if not (0 <= y1 < h and 0 <= y1 + su < h):
                                continue
                            for j in range(kw):
                                x1 = x * sw - padw + j * dw
                                if 0 <= x1 < w and 0 <= x1 + sv < w:
                                    out[n, p, q, y, x] += input1[n, :, y1, x1] @ input2[n, :, y1 + su, x1 + sv]
    return out


def spatial_correlation_sample_backward(grad, input1, input2, kernel_size, patch_size, stride, padding, dilation,
                                        dilation_patch):
    """The peer's CPU backward (correlate_patch_grad): each output's gradient scattered onto both
    inputs' samples."""
    import numpy as np
    (kh, kw), (ph, pw), (sh, sw), (padh, padw), (dh, dw), (dph, dpw) = (kernel_size, patch_size, stride, padding,
                                                                         dilation, dilation_patch)
    b, _, h, w = input1.shape
    grad1, grad2 = np.zeros(input1.shape), np.zeros(input2.shape)
    for n, p, q, y, x in np.ndindex(*grad.shape):
        su, sv = (p - _truncating_divide(ph - 1, 2)) * dph, (q - _truncating_divide(pw - 1, 2)) * dpw
        for i in range(kh):
            y1 = y * sh - padh + i * dh
            if not (0 <= y1 < h and 0 <= y1 + su < h):
                continue
            for j in range(kw):
                x1 = x * sw - padw + j * dw
                if 0 <= x1 < w and 0 <= x1 + sv < w:
                    grad1[n, :, y1, x1] += grad[n, p, q, y, x] * input2[n, :, y1 + su, x1 + sv]
                    grad2[n, :, y1 + su, x1 + sv] += grad[n, p, q, y, x] * input1[n, :, y1, x1]
    return grad1, grad2
