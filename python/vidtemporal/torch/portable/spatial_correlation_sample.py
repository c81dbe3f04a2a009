"""Spatial correlation sampling in plain torch: per displacement the channel sums of the shifted
product at full resolution, then each output gathers them over its window (taps outside the
image count 0)."""
import torch

from .correlation import shifted_product


def _truncating_divide(a, b):
    """C integer division (towards zero), as the peer sizes its output."""
    return abs(a) // b * (1 if a >= 0 else -1)


def _taps(size, output, kernel, stride, padding, dilation, i, device):
    """Tap i's position for every output, clamped into the image, and whether it is inside."""
    position = torch.arange(output, device=device) * stride - padding + i * dilation
    return position.clamp(0, max(size - 1, 0)), (position >= 0) & (position < size)


def spatial_correlation_sample_forward(input1, input2, kernel_h, kernel_w, patch_h, patch_w, stride_h, stride_w,
                                       padding_h, padding_w, dilation_h, dilation_w, dilation_patch_h,
                                       dilation_patch_w):
    b, _, h, w = input1.shape
    oh = _truncating_divide(h + 2 * padding_h - ((kernel_h - 1) * dilation_h + 1), stride_h) + 1
    ow = _truncating_divide(w + 2 * padding_w - ((kernel_w - 1) * dilation_w + 1), stride_w) + 1
    rows = [_taps(h, oh, kernel_h, stride_h, padding_h, dilation_h, i, input1.device) for i in range(kernel_h)]
    cols = [_taps(w, ow, kernel_w, stride_w, padding_w, dilation_w, j, input1.device) for j in range(kernel_w)]
    out = input1.new_zeros(b, patch_h, patch_w, oh, ow)
    for p in range(patch_h):
        for q in range(patch_w):
            su = (p - int((patch_h - 1) / 2)) * dilation_patch_h
            sv = (q - int((patch_w - 1) / 2)) * dilation_patch_w
            if not (-h < su < h and -w < sv < w):
                continue
            plane = shifted_product(input1, input2, su, sv)
            for y, y_inside in rows:
                for x, x_inside in cols:
                    inside = y_inside[:, None] & x_inside[None, :]
                    out[:, p, q] += torch.where(inside, plane[:, y[:, None], x[None, :]], 0)
    return out,
