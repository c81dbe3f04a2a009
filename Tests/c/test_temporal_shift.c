/* The C user's view of temporal shift: compiled against include/vidtemporal.h, linked with
 * -lvidtemporal through pkg-config, checked against naive loops written here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* Naive reference: the input frame within the clip that output (t, channel) reads. */
static int64_t source_time(int64_t t, int64_t channel, int64_t c, int64_t fold_div, int mode) {
    int64_t fold = c / fold_div;
    if (mode == VT_SHIFT_BIDIRECTIONAL) {
        if (channel < fold) return t + 1;
        if (channel < 2 * fold) return t - 1;
        return t;
    }
    return channel < fold ? t - 1 : t;
}

static void reference(const float *x, float *y, int64_t nt, int64_t c, int64_t plane, int64_t segments,
                      int64_t fold_div, int mode) {
    for (int64_t f = 0; f < nt; f++)
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t t = f % segments, s = source_time(t, ch, c, fold_div, mode);
            for (int64_t p = 0; p < plane; p++)
                y[(f * c + ch) * plane + p] = (s >= 0 && s < segments) ? x[((f - t + s) * c + ch) * plane + p] : 0.0f;
        }
}

/* The adjoint by definition: every output gradient goes back to the input it read. */
static void reference_backward(const float *gy, float *gx, int64_t nt, int64_t c, int64_t plane, int64_t segments,
                               int64_t fold_div, int mode) {
    memset(gx, 0, sizeof(float) * (size_t)(nt * c * plane));
    for (int64_t f = 0; f < nt; f++)
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t t = f % segments, s = source_time(t, ch, c, fold_div, mode);
            if (s < 0 || s >= segments) continue;
            for (int64_t p = 0; p < plane; p++) gx[((f - t + s) * c + ch) * plane + p] += gy[(f * c + ch) * plane + p];
        }
}

static void test_forward_backward_inplace(void) {
    const int64_t n = 2, segments = 4, c = 19, h = 3, w = 5, nt = n * segments, count = nt * c * h * w;
    float *x = malloc(sizeof(float) * count), *y = malloc(sizeof(float) * count);
    float *want = malloc(sizeof(float) * count), *g = malloc(sizeof(float) * count);
    float *gy = malloc(sizeof(float) * count), *want_g = malloc(sizeof(float) * count);
    for (int64_t i = 0; i < count; i++) x[i] = (float)((i * 7919) % 1000) / 100.0f - 5.0f;
    for (int64_t i = 0; i < count; i++) gy[i] = (float)((i * 104729) % 997) / 50.0f - 10.0f;
    int64_t shape[4] = {nt, c, h, w};
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, shape), ty = vt_tensor(y, VT_FLOAT32, 4, shape);
    DLTensor tg = vt_tensor(g, VT_FLOAT32, 4, shape), tgy = vt_tensor(gy, VT_FLOAT32, 4, shape);
    for (int mode = 0; mode < 2; mode++)
        for (int64_t fold_div = 1; fold_div <= 8; fold_div++) {
            vt_error err;
            CHECK(vt_temporal_shift_forward(&tx, &ty, segments, fold_div, mode, &err) == VT_OK, "%s", err.message);
            reference(x, want, nt, c, h * w, segments, fold_div, mode);
            CHECK(memcmp(y, want, sizeof(float) * count) == 0, "forward mode=%d fold_div=%lld", mode,
                  (long long)fold_div);
            CHECK(vt_temporal_shift_backward(&tgy, &tg, segments, fold_div, mode, NULL) == VT_OK, "bw");
            reference_backward(gy, want_g, nt, c, h * w, segments, fold_div, mode);
            CHECK(memcmp(g, want_g, sizeof(float) * count) == 0, "backward mode=%d fold_div=%lld", mode,
                  (long long)fold_div);
            /* <F x, gy> == <x, F^T gy>: the same exact products (float*float fits a double), summed
             * in different orders, so equal to double rounding */
            double lhs = 0, rhs = 0;
            for (int64_t i = 0; i < count; i++) lhs += (double)y[i] * gy[i], rhs += (double)x[i] * g[i];
            CHECK(fabs(lhs - rhs) <= 1e-12 * fabs(lhs), "adjoint mode=%d fold_div=%lld: %g vs %g", mode, (long long)fold_div, lhs, rhs);
            memcpy(g, x, sizeof(float) * count);
            CHECK(vt_temporal_shift_inplace_forward(&tg, segments, fold_div, mode, NULL) == VT_OK, "ip");
            CHECK(memcmp(g, want, sizeof(float) * count) == 0, "in-place mode=%d fold_div=%lld", mode,
                  (long long)fold_div);
        }
    free(x), free(y), free(want), free(g), free(gy), free(want_g);
}

static void test_stream(void) {
    const int64_t n = 2, segments = 5, c = 8, plane = 6, fold_div = 4, frame = c * plane;
    double clip[2 * 5 * 8 * 6], want[2 * 5 * 8 * 6], in[2 * 8 * 6], out[2 * 8 * 6];
    for (size_t i = 0; i < sizeof clip / sizeof clip[0]; i++) clip[i] = (double)i;
    int64_t clip_shape[4] = {n * segments, c, plane, 1}, frame_shape[4] = {n, c, plane, 1}, wide[4] = {n, c, plane, 2};
    DLTensor tclip = vt_tensor(clip, VT_FLOAT64, 4, clip_shape), twant = vt_tensor(want, VT_FLOAT64, 4, clip_shape);
    CHECK(vt_temporal_shift_forward(&tclip, &twant, segments, fold_div, VT_SHIFT_UNIDIRECTIONAL, NULL) == VT_OK,
          "unidirectional");
    vt_temporal_shift_stream *stream = NULL;
    vt_error err;
    DLTensor tin = vt_tensor(in, VT_FLOAT64, 4, frame_shape), tout = vt_tensor(out, VT_FLOAT64, 4, frame_shape);
    CHECK(vt_temporal_shift_stream_create(&tin, fold_div, &stream, &err) == VT_OK, "%s", err.message);
    for (int pass = 0; pass < 2; pass++) {
        int same = 1;
        for (int64_t t = 0; t < segments; t++) {
            for (int64_t i = 0; i < n; i++) memcpy(in + i * frame, clip + (i * segments + t) * frame, sizeof(double) * frame);
            CHECK(vt_temporal_shift_stream_step(stream, &tin, &tout, &err) == VT_OK, "%s", err.message);
            for (int64_t i = 0; i < n; i++)
                same &= memcmp(out + i * frame, want + (i * segments + t) * frame, sizeof(double) * frame) == 0;
        }
        CHECK(same, "stream pass %d differs from the unidirectional shift", pass);
        CHECK(vt_temporal_shift_stream_reset(stream, NULL) == VT_OK, "reset");
    }
    DLTensor twide = vt_tensor(clip, VT_FLOAT64, 4, wide), twide_out = vt_tensor(want, VT_FLOAT64, 4, wide);
    CHECK(vt_temporal_shift_stream_step(stream, &twide, &twide_out, &err) == VT_ERR_SHAPE_MISMATCH, "wrong frame shape");
    vt_temporal_shift_stream_free(stream);
}

static void test_errors(void) {
    float a[16] = {0}, b[16];
    for (int i = 0; i < 16; i++) b[i] = -7.0f;
    int64_t ten[4] = {10, 1, 1, 1}, four[4] = {4, 4, 1, 1}, huge[4] = {INT64_MAX / 2, 4, 4, 4};
    DLTensor ta = vt_tensor(a, VT_FLOAT32, 4, ten), tb = vt_tensor(b, VT_FLOAT32, 4, ten);
    vt_error err;
    CHECK(vt_temporal_shift_forward(&ta, &tb, 8, 8, 0, &err) == VT_ERR_SHAPE_MISMATCH, "nt %% T");
    CHECK(strcmp(err.message, "vt_temporal_shift_forward: x.shape[0]=10 (N*T) is not a multiple of num_segments=8") == 0,
          "message: %s", err.message);
    ta.shape = tb.shape = four;
    CHECK(vt_temporal_shift_forward(NULL, &tb, 2, 2, 0, &err) == VT_ERR_NULL_POINTER, "null x");
    CHECK(vt_temporal_shift_forward(&ta, &tb, 0, 2, 0, &err) == VT_ERR_INVALID_ARGUMENT, "T=0");
    CHECK(vt_temporal_shift_forward(&ta, &tb, 2, 2, 5, &err) == VT_ERR_INVALID_ARGUMENT, "mode");
    ta.shape = tb.shape = huge;
    CHECK(vt_temporal_shift_forward(&ta, &tb, 1, 2, 0, &err) == VT_ERR_SHAPE_MISMATCH, "overflow");
    int untouched = 1;
    for (int i = 0; i < 16; i++) untouched &= b[i] == -7.0f;
    CHECK(untouched, "a failed call wrote to its output");
    CHECK(strcmp(vt_status_string(VT_ERR_SHAPE_MISMATCH), "shape mismatch") == 0, "status string");
    CHECK(vt_abi_version() == VT_ABI_VERSION, "abi");
    CHECK(strcmp(vt_version_string(), VT_VERSION) == 0, "version");
    CHECK(vt_set_num_threads(-1, &err) == VT_ERR_INVALID_ARGUMENT, "threads");
    CHECK(vt_set_num_threads(1, NULL) == VT_OK && vt_get_num_threads() == 1, "threads = 1");
    CHECK(vt_set_num_threads(0, NULL) == VT_OK && vt_get_num_threads() >= 1, "threads default");
}

int main(void) {
    test_forward_backward_inplace();
    test_stream();
    test_errors();
    REPORT();
}
