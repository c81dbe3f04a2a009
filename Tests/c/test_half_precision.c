/* float16 and bfloat16 through the C ABI: a temporal shift moves the 2-byte elements exactly, a
 * compute op (correlation) runs in float32 and rounds each result to nearest even, and a refused
 * call writes nothing. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"

static const DLDataType BF16 = {kDLBfloat, 16, 1}, F16 = {kDLFloat, 16, 1};

static uint16_t bfloat16_of(float v) { /* exact for the values below: no rounding needed */
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return (uint16_t)(bits >> 16);
}

static float float_of_bfloat16(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

static void test_shift_moves_half_precision_bytes(void) {
    enum { NT = 4, C = 8, HW = 3, COUNT = NT * C * HW };
    uint16_t x[COUNT], y[COUNT];
    for (int i = 0; i < COUNT; i++) x[i] = (uint16_t)(0x3c00 + i * 37); /* arbitrary bit patterns */
    int64_t shape[4] = {NT, C, HW, 1};
    for (int k = 0; k < 2; k++) {
        DLDataType dtype = k ? BF16 : F16;
        DLTensor tx = vt_tensor(x, dtype, 4, shape), ty = vt_tensor(y, dtype, 4, shape);
        vt_error err;
        CHECK(vt_temporal_shift_forward(&tx, &ty, NT, 4, 0, &err) == VT_OK, "%s", err.message);
        /* fold 2: channels [0, 2) from t + 1, [2, 4) from t - 1, the rest copied. */
        int ok = 1;
        for (int t = 0; t < NT; t++)
            for (int c = 0; c < C; c++)
                for (int s = 0; s < HW; s++) {
                    int from = c < 2 ? t + 1 : c < 4 ? t - 1 : t;
                    uint16_t want = from < 0 || from >= NT ? 0 : x[(from * C + c) * HW + s];
                    ok &= y[(t * C + c) * HW + s] == want;
                }
        CHECK(ok, "%s shift is not the bytes moved", k ? "bfloat16" : "float16");
    }
}

/* out = a0 b0 + a1 b1 (C = 2, a 1 x 1 patch), exact in float32, then rounded to bfloat16. */
static float correlate(float a0, float a1) {
    uint16_t f1[2] = {bfloat16_of(a0), bfloat16_of(a1)}, f2[2] = {bfloat16_of(1), bfloat16_of(1)}, out = 0;
    int64_t shape[4] = {1, 2, 1, 1}, oshape[5] = {1, 1, 1, 1, 1};
    DLTensor t1 = vt_tensor(f1, BF16, 4, shape), t2 = vt_tensor(f2, BF16, 4, shape), to = vt_tensor(&out, BF16, 5, oshape);
    vt_error err;
    CHECK(vt_correlation_forward(&t1, &t2, &to, 1, 1, &err) == VT_OK, "%s", err.message);
    return float_of_bfloat16(out);
}

static void test_compute_rounds_to_nearest_even(void) {
    float ulp = ldexpf(1, -7), half = ldexpf(1, -8);
    CHECK(correlate(1, half) == 1, "1 + half an ulp ties to the even 1, got %g", correlate(1, half));
    CHECK(correlate(1 + ulp, half) == 1 + 2 * ulp, "ties to the even 1 + 2 ulp, got %g", correlate(1 + ulp, half));
    CHECK(correlate(1, 1.5f * half) == 1 + ulp, "above the tie rounds up, got %g", correlate(1, 1.5f * half));
    CHECK(isnan(correlate(NAN, 0)), "NaN stays NaN");
}

static void test_refused_half_call_writes_nothing(void) {
    uint16_t f[8] = {0}, out[9];
    for (int i = 0; i < 9; i++) out[i] = 0x7777;
    int64_t shape[4] = {1, 2, 2, 2}, wrong[5] = {1, 3, 3, 1, 1}; /* out must be (1, 3, 3, 2, 2) */
    DLTensor t = vt_tensor(f, BF16, 4, shape), to = vt_tensor(out, BF16, 5, wrong);
    vt_error err;
    CHECK(vt_correlation_forward(&t, &t, &to, 3, 1, &err) == VT_ERR_SHAPE_MISMATCH, "%s", err.message);
    int untouched = 1;
    for (int i = 0; i < 9; i++) untouched &= out[i] == 0x7777;
    CHECK(untouched, "a refused call wrote its output");
}

int main(void) {
    test_shift_moves_half_precision_bytes();
    test_compute_rounds_to_nearest_even();
    test_refused_half_call_writes_nothing();
    REPORT();
}
