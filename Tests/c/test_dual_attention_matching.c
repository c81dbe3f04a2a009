/* The C user's view of DAM: an empty event region gives global 0 and p = 0.5, one segment gives
 * global = f wv; the loss at p = 0 and 1; localisation; errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* n = 2 clips, t = 2, d = 2, dk = 1; clip 0 has no event, clip 1 only segment 1. wv = identity,
 * so for clip 1 the global feature is that segment's features. */
static void test_forward(void) {
    double audio[8] = {1, 2, 3, 4, 5, 6, 7, 8}, visual[8] = {0, 1, 1, 0, 2, 0, 0, 3}, mask[4] = {0, 0, 0, 1};
    double wq[2] = {1, 0}, wk[2] = {0, 1}, wv[4] = {1, 0, 0, 1};
    double p[4], pa[4], pv[4], ga[4], gv[4];
    int64_t features[3] = {2, 2, 2}, segments[2] = {2, 2}, query[2] = {2, 1}, value[2] = {2, 2};
    DLTensor ta = vt_tensor(audio, VT_FLOAT64, 3, features), tv = vt_tensor(visual, VT_FLOAT64, 3, features);
    DLTensor tm = vt_tensor(mask, VT_FLOAT64, 2, segments), tq = vt_tensor(wq, VT_FLOAT64, 2, query);
    DLTensor tk = vt_tensor(wk, VT_FLOAT64, 2, query), twv = vt_tensor(wv, VT_FLOAT64, 2, value);
    DLTensor tp = vt_tensor(p, VT_FLOAT64, 2, segments), tpa = vt_tensor(pa, VT_FLOAT64, 2, segments);
    DLTensor tpv = vt_tensor(pv, VT_FLOAT64, 2, segments), tga = vt_tensor(ga, VT_FLOAT64, 2, value);
    DLTensor tgv = vt_tensor(gv, VT_FLOAT64, 2, value);
    vt_error err;
    CHECK(vt_dual_attention_matching_forward(&ta, &tv, &tm, &tq, &tk, &twv, &tq, &tk, &twv, &tp, &tpa, &tpv, &tga, &tgv,
                                             NULL, &err) == VT_OK, "%s", err.message);
    CHECK(ga[0] == 0 && ga[1] == 0 && gv[0] == 0 && gv[1] == 0, "empty region: global 0");
    CHECK(p[0] == 0.5 && p[1] == 0.5, "empty region: p = 0.5, got %g %g", p[0], p[1]);
    CHECK(ga[2] == 7 && ga[3] == 8 && gv[2] == 0 && gv[3] == 3, "one segment: global = f wv");
    /* p_audio[clip 1, t 0] = σ(global_visual · audio[1][0]) = σ(0*5 + 3*6) */
    CHECK(fabs(pa[2] - 1 / (1 + exp(-18.0))) < 1e-15, "p_audio = %g", pa[2]);
    mask[0] = 2;
    CHECK(vt_dual_attention_matching_forward(&ta, &tv, &tm, &tq, &tk, &twv, &tq, &tk, &twv, &tp, &tpa, &tpv, &tga, &tgv,
                                             NULL, &err) == VT_ERR_INVALID_ARGUMENT, "mask 2");
    CHECK(strstr(err.message, "mask[0, 0] = 2.0 is not 0 or 1") != NULL, "message: %s", err.message);
}

static void test_loss_and_localize(void) {
    float p[3] = {0, 1, 0.5f}, labels[3] = {1, 0, 1}, loss, one = 1, gp[3];
    int64_t three[1] = {3};
    DLTensor tp = vt_tensor(p, VT_FLOAT32, 1, three), tl = vt_tensor(labels, VT_FLOAT32, 1, three);
    DLTensor tloss = vt_tensor(&loss, VT_FLOAT32, 0, NULL), tone = vt_tensor(&one, VT_FLOAT32, 0, NULL);
    DLTensor tgp = vt_tensor(gp, VT_FLOAT32, 1, three);
    CHECK(vt_dam_loss_forward(&tp, &tl, &tloss, NULL) == VT_OK, "loss");
    CHECK(fabsf(loss - (200 + logf(2)) / 3) < 1e-4f, "loss at the edges = %g", loss);
    CHECK(vt_dam_loss_backward(&tone, &tp, &tl, &tgp, NULL, NULL) == VT_OK && isfinite(gp[0]) && isfinite(gp[1]),
          "finite gradient at p = 0 and 1");
    float query[1] = {1}, other[5] = {0, 0, 5, 5, 0};
    int64_t start = -1, one_clip[2] = {1, 1}, others[3] = {1, 5, 1}, starts[1] = {1};
    DLTensor tq = vt_tensor(query, VT_FLOAT32, 2, one_clip), to = vt_tensor(other, VT_FLOAT32, 3, others);
    DLTensor ts = vt_tensor(&start, VT_INT64, 1, starts);
    CHECK(vt_cml_localize(&tq, &to, &ts, 2, NULL) == VT_OK && start == 2, "start %lld", (long long)start);
    CHECK(vt_cml_localize(&tq, &to, &ts, 6, NULL) == VT_ERR_INVALID_ARGUMENT, "length > t");
}

int main(void) {
    test_forward();
    test_loss_and_localize();
    REPORT();
}
