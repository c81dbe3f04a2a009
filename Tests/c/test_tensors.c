/* The C user's view of the ABI's tensor conventions, on representative functions: the device,
 * the dtype, strides, byte_offset, overlap, optional outputs, and shape mismatches that name both
 * tensors. Nothing is written on an error. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"

enum { COUNT = 2 * 8 * 3 };

static int64_t video[4] = {2, 8, 3, 1};

static int untouched(const float *y, int count) {
    for (int i = 0; i < count; i++)
        if (y[i] != -7.0f) return 0;
    return 1;
}

static void fill(float *x, float *y) {
    for (int i = 0; i < COUNT; i++) x[i] = (float)i + 1, y[i] = -7.0f;
}

static void test_device_and_dtype(void) {
    float x[COUNT], y[COUNT];
    fill(x, y);
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, video), ty = vt_tensor(y, VT_FLOAT32, 4, video);
    vt_error err;
    tx.device.device_type = kDLCUDA;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, &err) == VT_ERR_UNSUPPORTED, "CUDA device");
    CHECK(strcmp(err.message, "vt_temporal_shift_forward: x is on kDLCUDA:0; vidtemporal reads CPU memory (kDLCPU) only")
              == 0, "message: %s", err.message);
    tx.device.device_type = kDLCPU;
    tx.dtype.bits = 8;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, &err) == VT_ERR_UNSUPPORTED, "float8");
    CHECK(strstr(err.message, "x must be float32, float64, float16 or bfloat16, got float8") != NULL, "message: %s",
          err.message);
    tx.dtype = VT_FLOAT32;
    ty.dtype = VT_FLOAT64;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, &err) == VT_ERR_UNSUPPORTED, "mixed dtypes");
    CHECK(strstr(err.message, "y is float64 but x is float32") != NULL, "message: %s", err.message);
    CHECK(untouched(y, COUNT), "a failed call wrote to y");
}

static void test_strides_and_offset(void) {
    float x[COUNT], y[COUNT], want[COUNT], padded[COUNT + 3];
    fill(x, y);
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, video), ty = vt_tensor(y, VT_FLOAT32, 4, video);
    DLTensor tw = vt_tensor(want, VT_FLOAT32, 4, video);
    CHECK(vt_temporal_shift_forward(&tx, &tw, 2, 4, 0, NULL) == VT_OK, "compact");
    /* The compact strides spelled out are compact; a size-1 dim's stride is never used. */
    int64_t compact[4] = {24, 3, 1, 1}, unit[4] = {24, 3, 1, 99}, transposed[4] = {24, 2, 1, 1}; /* neither NCHW nor NHWC */
    tx.strides = compact;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, NULL) == VT_OK && memcmp(y, want, sizeof y) == 0, "strides");
    tx.strides = unit;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, NULL) == VT_OK && memcmp(y, want, sizeof y) == 0, "unit dim");
    vt_error err;
    tx.strides = transposed;
    for (int i = 0; i < COUNT; i++) y[i] = -7.0f;
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, &err) == VT_ERR_UNSUPPORTED, "non-compact strides");
    CHECK(strstr(err.message, "x must be C-contiguous (compact row-major)") != NULL, "message: %s", err.message);
    CHECK(untouched(y, COUNT), "a failed call wrote to y");
    /* byte_offset: the same elements three floats into another buffer. */
    padded[0] = padded[1] = padded[2] = 1e30f;
    memcpy(padded + 3, x, sizeof x);
    DLTensor offset = vt_tensor(padded, VT_FLOAT32, 4, video);
    offset.byte_offset = 3 * sizeof(float);
    CHECK(vt_temporal_shift_forward(&offset, &ty, 2, 4, 0, NULL) == VT_OK && memcmp(y, want, sizeof y) == 0,
          "byte_offset honoured");
    offset.byte_offset = 2;
    CHECK(vt_temporal_shift_forward(&offset, &ty, 2, 4, 0, &err) == VT_ERR_UNSUPPORTED, "misaligned");
}

static void test_overlap_and_optional_outputs(void) {
    float buffer[2 * COUNT], x[COUNT], y[COUNT];
    fill(x, y);
    vt_error err;
    DLTensor tx = vt_tensor(buffer, VT_FLOAT32, 4, video), ty = vt_tensor(buffer + 10, VT_FLOAT32, 4, video);
    CHECK(vt_temporal_shift_forward(&tx, &ty, 2, 4, 0, &err) == VT_ERR_SHAPE_MISMATCH, "overlap");
    CHECK(strstr(err.message, "y overlaps x; they must be separate arrays") != NULL, "message: %s", err.message);
    /* GTA backward with either gradient absent gives the same values as both at once. */
    float v[COUNT], gy[COUNT], attn[4 * 2 * 2], gv_both[COUNT], ga_both[16], gv[COUNT], ga[16];
    for (int i = 0; i < COUNT; i++) v[i] = sinf((float)i), gy[i] = cosf((float)i);
    for (int i = 0; i < 16; i++) attn[i] = 0.25f * (float)i - 1;
    int64_t frames[3] = {2, 8, 3}, groups[4] = {2, 2, 2, 2};
    DLTensor tv = vt_tensor(v, VT_FLOAT32, 3, frames), tgy = vt_tensor(gy, VT_FLOAT32, 3, frames);
    DLTensor ta = vt_tensor(attn, VT_FLOAT32, 4, groups);
    DLTensor tgv_both = vt_tensor(gv_both, VT_FLOAT32, 3, frames), tga_both = vt_tensor(ga_both, VT_FLOAT32, 4, groups);
    DLTensor tgv = vt_tensor(gv, VT_FLOAT32, 3, frames), tga = vt_tensor(ga, VT_FLOAT32, 4, groups);
    CHECK(vt_global_temporal_attention_backward(&tgy, &tv, &ta, &tgv_both, &tga_both, 2, NULL) == VT_OK, "both");
    CHECK(vt_global_temporal_attention_backward(&tgy, &tv, &ta, &tgv, NULL, 2, NULL) == VT_OK, "grad_v alone");
    CHECK(vt_global_temporal_attention_backward(&tgy, &tv, &ta, NULL, &tga, 2, NULL) == VT_OK, "grad_attn alone");
    CHECK(memcmp(gv, gv_both, sizeof gv) == 0 && memcmp(ga, ga_both, sizeof ga) == 0, "a gradient alone differs");
    CHECK(vt_global_temporal_attention_backward(&tgy, &tv, &ta, NULL, NULL, 2, NULL) == VT_OK, "none asked for");
}

static void test_shape_mismatches(void) {
    float f[64] = {0}, out[64];
    for (int i = 0; i < 64; i++) out[i] = -7.0f;
    vt_error err;
    /* correlation: f2 must be f1's shape, out (B, P, P, H, W) with P = patch_size */
    int64_t image[4] = {1, 2, 2, 2}, other[4] = {1, 2, 2, 3}, volume[5] = {1, 3, 3, 2, 2};
    DLTensor t1 = vt_tensor(f, VT_FLOAT32, 4, image), t2 = vt_tensor(f, VT_FLOAT32, 4, other);
    DLTensor tout = vt_tensor(out, VT_FLOAT32, 5, volume);
    CHECK(vt_correlation_forward(&t1, &t2, &tout, 3, 1, &err) == VT_ERR_SHAPE_MISMATCH, "f2 width");
    CHECK(strcmp(err.message, "vt_correlation_forward: f2.shape[3]=3 does not match f1.shape[3]=2 (W)") == 0,
          "message: %s", err.message);
    CHECK(vt_correlation_forward(&t1, &t1, &tout, 5, 1, &err) == VT_ERR_SHAPE_MISMATCH, "P");
    CHECK(strcmp(err.message, "vt_correlation_forward: out.shape[1]=3 does not match patch_size=5 (P)") == 0,
          "message: %s", err.message);
    /* DAM: visual's T against audio's */
    int64_t features[3] = {1, 2, 2}, longer[3] = {1, 3, 2}, segments[2] = {1, 2}, w[2] = {2, 2}, g[2] = {1, 2};
    DLTensor ta = vt_tensor(f, VT_FLOAT32, 3, features), tv = vt_tensor(f, VT_FLOAT32, 3, longer);
    DLTensor tm = vt_tensor(f, VT_FLOAT32, 2, segments), tw = vt_tensor(f, VT_FLOAT32, 2, w);
    DLTensor o[5] = {vt_tensor(out, VT_FLOAT32, 2, segments), vt_tensor(out + 2, VT_FLOAT32, 2, segments),
                     vt_tensor(out + 4, VT_FLOAT32, 2, segments), vt_tensor(out + 6, VT_FLOAT32, 2, g),
                     vt_tensor(out + 8, VT_FLOAT32, 2, g)};
    CHECK(vt_dual_attention_matching_forward(&ta, &tv, &tm, &tw, &tw, &tw, &tw, &tw, &tw, &o[0], &o[1], &o[2], &o[3], &o[4],
                                             NULL, &err) == VT_ERR_SHAPE_MISMATCH, "visual T");
    CHECK(strcmp(err.message, "vt_dual_attention_matching_forward: visual.shape[1]=3 does not match audio.shape[1]=2 (T)")
              == 0, "message: %s", err.message);
    CHECK(untouched(out, 64), "a failed call wrote to an output");
}

int main(void) {
    test_device_and_dtype();
    test_strides_and_offset();
    test_overlap_and_optional_outputs();
    test_shape_mismatches();
    REPORT();
}
