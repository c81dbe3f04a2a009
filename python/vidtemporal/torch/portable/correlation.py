"""Local correlation in plain torch: one product-and-sum per displacement, over the pixels whose
displaced sample lies in the image (the others are 0, however large the dilation)."""
import torch


def shifted_product(f1, f2, dy, dx):
    """(B, H, W): Σ_c f1[:, c, y, x] * f2[:, c, y + dy, x + dx], 0 where the displaced sample is
    outside the image."""
    b, _, h, w = f1.shape
    y0, y1, x0, x1 = max(0, -dy), min(h, h - dy), max(0, -dx), min(w, w - dx)
    if y0 >= y1 or x0 >= x1:
        return f1.new_zeros(b, h, w)
    product = f1[:, :, y0:y1, x0:x1] * f2[:, :, y0 + dy:y1 + dy, x0 + dx:x1 + dx]
    return torch.nn.functional.pad(product.sum(1), (x0, w - x1, y0, h - y1))


def correlate(f1, f2, patch_size, dilation_patch):
    b, _, h, w = f1.shape
    radius = (patch_size - 1) // 2
    planes = [shifted_product(f1, f2, (i - radius) * dilation_patch, (j - radius) * dilation_patch)
              for i in range(patch_size) for j in range(patch_size)]
    return torch.stack(planes, 1).reshape(b, patch_size, patch_size, h, w)


def correlation_forward(f1, f2, patch_size, dilation_patch):
    return correlate(f1, f2, patch_size, dilation_patch),
