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
    """The reverse shift: each gradient goes back to the frame its value came from."""
    nt, c, h, w = grad.shape
    g = grad.reshape(nt // num_segments, num_segments, c, h, w)
    fold = c // fold_div
    out = _zeros_like(g)
    if mode == "bidirectional":
        out[:, 1:, :fold] = g[:, :-1, :fold]
        out[:, :-1, fold:2 * fold] = g[:, 1:, fold:2 * fold]
        out[:, :, 2 * fold:] = g[:, :, 2 * fold:]
    else:
        out[:, :-1, :fold] = g[:, 1:, :fold]
        out[:, :, fold:] = g[:, :, fold:]
    return out.reshape(nt, c, h, w)
