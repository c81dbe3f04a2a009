/* The C user's view of the GTA family: hand-computed cases for the mixing, region pooling and
 * unpooling and spatial attention, and one error each, through the installed header. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* G = 1, T = 2, C = 1, S = 1: y = M v for M = [[1, 2], [3, 4]], v = (10, 100). */
static void test_mixing(void) {
    float v[2] = {10, 100}, attn[4] = {1, 2, 3, 4}, y[2], gv[2], ga[4], gy[2] = {1, 1};
    int64_t video[3] = {2, 1, 1}, matrix[4] = {1, 1, 2, 2};
    DLTensor tv = vt_tensor(v, VT_FLOAT32, 3, video), ta = vt_tensor(attn, VT_FLOAT32, 4, matrix);
    DLTensor ty = vt_tensor(y, VT_FLOAT32, 3, video), tgy = vt_tensor(gy, VT_FLOAT32, 3, video);
    DLTensor tgv = vt_tensor(gv, VT_FLOAT32, 3, video), tga = vt_tensor(ga, VT_FLOAT32, 4, matrix);
    CHECK(vt_global_temporal_attention_forward(&tv, &ta, &ty, 2, NULL) == VT_OK, "forward");
    CHECK(y[0] == 210 && y[1] == 430, "y = (%g, %g), want (210, 430)", y[0], y[1]);
    CHECK(vt_global_temporal_attention_backward(&tgy, &tv, &ta, &tgv, &tga, 2, NULL) == VT_OK, "backward");
    CHECK(gv[0] == 4 && gv[1] == 6, "grad_v = M^T 1 = (4, 6), got (%g, %g)", gv[0], gv[1]);
    CHECK(ga[0] == 10 && ga[1] == 100 && ga[2] == 10 && ga[3] == 100, "grad_attn = 1 v^T");
    vt_error err;
    float big[12] = {0}, out[12];
    int64_t three[3] = {2, 3, 1}, groups[4] = {2, 2, 2, 2};
    DLTensor tb = vt_tensor(big, VT_FLOAT32, 3, three), tg = vt_tensor(big, VT_FLOAT32, 4, groups);
    DLTensor to = vt_tensor(out, VT_FLOAT32, 3, three);
    CHECK(vt_global_temporal_attention_forward(&tb, &tg, &to, 2, &err) == VT_ERR_SHAPE_MISMATCH, "c %% G");
    CHECK(strstr(err.message, "v.shape[1]=3 is not divisible by G=attn.shape[0]=2") != NULL, "message: %s", err.message);
}

/* B = 1, C = 1, S = 2, K = 1: r = (x . a) / S; unpool y = a r. */
static void test_regions(void) {
    double x[2] = {3, 5}, assign[2] = {2, 4}, r[1], y[2];
    int64_t pixels[3] = {1, 1, 2}, regions[3] = {1, 1, 1};
    DLTensor tx = vt_tensor(x, VT_FLOAT64, 3, pixels), ta = vt_tensor(assign, VT_FLOAT64, 3, pixels);
    DLTensor tr = vt_tensor(r, VT_FLOAT64, 3, regions), ty = vt_tensor(y, VT_FLOAT64, 3, pixels);
    CHECK(vt_region_pool_forward(&tx, &ta, &tr, 1, NULL) == VT_OK && r[0] == 13, "pool: %g", r[0]);
    CHECK(vt_region_pool_forward(&tx, &ta, &tr, 0, NULL) == VT_OK && r[0] == 26, "unnormalised");
    CHECK(vt_region_unpool_forward(&tr, &ta, &ty, NULL) == VT_OK && y[0] == 52 && y[1] == 104,
          "unpool: (%g, %g)", y[0], y[1]);
    vt_error err;
    CHECK(vt_region_pool_forward(&tx, NULL, &tr, 1, &err) == VT_ERR_NULL_POINTER, "null assign");
    CHECK(strcmp(err.message, "vt_region_pool_forward: assign is NULL") == 0, "message: %s", err.message);
}

/* B = 1, d = 1, dv = 1, S = 2, q = (0, 0): uniform attention, y = mean(v) everywhere; lse = ln 2. */
static void test_attention(void) {
    float q[2] = {0, 0}, k[2] = {1, 5}, v[2] = {2, 6}, y[2], lse[2];
    int64_t rows[3] = {1, 1, 2}, per_row[2] = {1, 2};
    DLTensor tq = vt_tensor(q, VT_FLOAT32, 3, rows), tk = vt_tensor(k, VT_FLOAT32, 3, rows);
    DLTensor tv = vt_tensor(v, VT_FLOAT32, 3, rows), ty = vt_tensor(y, VT_FLOAT32, 3, rows);
    DLTensor tl = vt_tensor(lse, VT_FLOAT32, 2, per_row);
    CHECK(vt_spatial_attention_forward(&tq, &tk, &tv, &ty, &tl, NULL) == VT_OK, "forward");
    CHECK(y[0] == 4 && y[1] == 4, "y = (%g, %g), want (4, 4)", y[0], y[1]);
    CHECK(fabsf(lse[0] - logf(2)) < 1e-6f, "lse = %g", lse[0]);
    float gy[2] = {1, 0}, gq[2], gk[2], gv[2];
    DLTensor tgy = vt_tensor(gy, VT_FLOAT32, 3, rows), tgq = vt_tensor(gq, VT_FLOAT32, 3, rows);
    DLTensor tgk = vt_tensor(gk, VT_FLOAT32, 3, rows), tgv = vt_tensor(gv, VT_FLOAT32, 3, rows);
    CHECK(vt_spatial_attention_backward(&tgy, &tq, &tk, &tv, &tl, &tgq, &tgk, &tgv, NULL) == VT_OK, "backward");
    /* d y0 / d v_j = P_0j = 1/2; d y0 / d q_0 = Σ_j P_0j (v_j - y0) k_j = (2-4)/2 + 5(6-4)/2 = 4 */
    CHECK(gv[0] == 0.5f && gv[1] == 0.5f, "grad_v = (%g, %g)", gv[0], gv[1]);
    CHECK(fabsf(gq[0] - 4) < 1e-5f && gq[1] == 0, "grad_q = (%g, %g), want (4, 0)", gq[0], gq[1]);
}

int main(void) {
    test_mixing();
    test_regions();
    test_attention();
    REPORT();
}
