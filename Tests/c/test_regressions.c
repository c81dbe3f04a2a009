/* Calls the header allows that once aborted, hung or ran out of memory, each a named test:
 * empty tensors beside huge dims must cost nothing, scratch must come from checked allocations
 * (a failure is VT_ERR_ALLOCATION, never an abort), the status must not depend on the thread
 * count, a huge dilation reads only padding, every message names the function's own
 * argument, and a forked child's first matrix product does not hang. The calls that could hang or exhaust memory run in a child process with a time
 * limit (and, without AddressSanitizer, an address-space limit). */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vidtemporal.h>

#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

/* ASan reserves a huge shadow, and qemu-user (make test-qemu builds with VT_TEST_UNDER_QEMU) does
 * not bound the program's memory by RLIMIT_AS: no address-space limit under either. */
#if defined(ASAN) || defined(VT_TEST_UNDER_QEMU)
#define NO_ADDRESS_SPACE_LIMIT 1
#endif

/* Runs test() in a child with `seconds` to finish and, when `headroom_mb` > 0, an address space
 * of only what the child already maps plus that much. Returns test()'s result (0 = pass), or -1
 * if the child crashed, hung or was refused its limit. */
static int in_child(int (*test)(void), unsigned seconds, long headroom_mb) {
#ifdef VT_TEST_UNDER_QEMU
    /* qemu-user now and then forks a multithreaded process with one of its own locks held by
     * another thread, and the child hangs inside qemu, deaf to its alarm: in this process instead
     * (a hang is then this process's SIGALRM; the address space is not limited there anyway). */
    (void)headroom_mb;
    alarm(seconds);
    int result = test();
    alarm(0);
    return result;
#endif
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        alarm(seconds);
        if (headroom_mb > 0) {
#ifdef NO_ADDRESS_SPACE_LIMIT
            (void)headroom_mb;
#else
            long pages = 0;
            FILE *statm = fopen("/proc/self/statm", "r");
            if (!statm || fscanf(statm, "%ld", &pages) != 1) _exit(3);
            fclose(statm);
            rlim_t bytes = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)headroom_mb << 20);
            struct rlimit limit = {bytes, bytes};
            if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
#endif
        }
        _exit(test());
    }
    int status;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) fprintf(stderr, "  child: signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- cml_localize ---- */

/* t = 2^32 + 1 segments of no features: every score is σ(0), the first window wins, at once and
 * without a per-segment array. */
static int cml_localize_huge_segments_without_features(void) {
    int64_t qshape[2] = {2, 0}, oshape[3] = {2, 4294967297LL, 0}, sshape[1] = {2};
    int64_t start[2] = {-1, -1};
    DLTensor q = vt_tensor(NULL, VT_FLOAT64, 2, qshape), o = vt_tensor(NULL, VT_FLOAT64, 3, oshape);
    DLTensor s = vt_tensor(start, VT_INT64, 1, sshape);
    vt_error err;
    int32_t status = vt_cml_localize(&q, &o, &s, 4294967296LL, &err);
    if (status != VT_OK) fprintf(stderr, "  %s\n", err.message);
    return status == VT_OK && start[0] == 0 && start[1] == 0 ? 0 : 1;
}

static void test_cml_localize_huge_segments_without_features(void) {
    CHECK(in_child(cml_localize_huge_segments_without_features, 20, 64) == 0, "cml_localize, t = 2^32 + 1, d = 0");
}

/* 50,000 segments and a 25,000-segment window (O(t) now; it summed every window afresh), and
 * windows whose scores tie exactly: sliding sums do not round. */
static void test_cml_localize_long_clip_and_exact_ties(void) {
    enum { T = 50000 };
    static double other[T];
    double query[1] = {1.0};
    int64_t qshape[2] = {1, 1}, oshape[3] = {1, T, 1}, sshape[1] = {1}, start[1] = {-1};
    DLTensor q = vt_tensor(query, VT_FLOAT64, 2, qshape), o = vt_tensor(other, VT_FLOAT64, 3, oshape);
    DLTensor s = vt_tensor(start, VT_INT64, 1, sshape);
    for (int t = 0; t < T; t++) other[t] = t >= 20000 && t < 45000 ? 5.0 : -5.0;
    CHECK(vt_cml_localize(&q, &o, &s, 25000, NULL) == VT_OK && start[0] == 20000, "long clip: start %lld",
          (long long)start[0]);
    /* Alternating scores: every window of an even length holds the same scores, so all tie and
     * the first wins. */
    for (int t = 0; t < T; t++) other[t] = t % 2 ? 0.3 : 1.7;
    for (int64_t length = 2; length <= 4096; length *= 8) {
        start[0] = -1;
        CHECK(vt_cml_localize(&q, &o, &s, length, NULL) == VT_OK && start[0] == 0, "ties, length %lld: start %lld",
              (long long)length, (long long)start[0]);
    }
}

/* ---- region pooling ---- */

static int region_backward_empty(int64_t b) {
    int64_t bck[3] = {b, 0, 4}, bcs[3] = {b, 0, 0}, bks[3] = {b, 4, 0};
    DLTensor grad_r = vt_tensor(NULL, VT_FLOAT32, 3, bck), x = vt_tensor(NULL, VT_FLOAT32, 3, bcs);
    DLTensor assign = vt_tensor(NULL, VT_FLOAT32, 3, bks), grad_x = vt_tensor(NULL, VT_FLOAT32, 3, bcs);
    DLTensor grad_assign = vt_tensor(NULL, VT_FLOAT32, 3, bks);
    vt_error err;
    if (vt_region_pool_backward(&grad_r, &x, &assign, &grad_x, &grad_assign, 1, &err) != VT_OK) return 1;
    /* Unpooling: grad (B, C, S), r (B, C, K), assign (B, K, S). */
    DLTensor grad = vt_tensor(NULL, VT_FLOAT32, 3, bcs), r = vt_tensor(NULL, VT_FLOAT32, 3, bck);
    if (vt_region_unpool_backward(&grad, &r, &assign, &grad_r, &grad_assign, &err) != VT_OK) return 1;
    return 0;
}

static int region_backward_2_31_frames(void) { return region_backward_empty(2147483648LL); }
static int region_backward_2_40_frames(void) { return region_backward_empty(1LL << 40); }

static void test_region_pool_backward_empty_frames_cost_nothing(void) {
    CHECK(in_child(region_backward_2_31_frames, 20, 0) == 0, "region pooling backward, b = 2^31, empty");
    CHECK(in_child(region_backward_2_40_frames, 20, 0) == 0, "region pooling backward, b = 2^40, empty");
}

/* ---- dual attention matching ---- */

/* n = 2^31 - 1 clips of no segments: nothing is sized by n (it grew past 3 GB). */
static int dam_many_clips_no_segments(void) {
    int64_t ntd[3] = {2147483647, 0, 0}, nt[2] = {2147483647, 0}, dk[2] = {0, 4}, dd[2] = {0, 0};
    int64_t nd[2] = {2147483647, 0};
    DLTensor audio = vt_tensor(NULL, VT_FLOAT64, 3, ntd), visual = vt_tensor(NULL, VT_FLOAT64, 3, ntd);
    DLTensor mask = vt_tensor(NULL, VT_FLOAT64, 2, nt), wq = vt_tensor(NULL, VT_FLOAT64, 2, dk);
    DLTensor wv = vt_tensor(NULL, VT_FLOAT64, 2, dd), p = vt_tensor(NULL, VT_FLOAT64, 2, nt);
    DLTensor pa = vt_tensor(NULL, VT_FLOAT64, 2, nt), pv = vt_tensor(NULL, VT_FLOAT64, 2, nt);
    DLTensor ga = vt_tensor(NULL, VT_FLOAT64, 2, nd), gv = vt_tensor(NULL, VT_FLOAT64, 2, nd);
    vt_error err;
    int32_t status = vt_dual_attention_matching_forward(&audio, &visual, &mask, &wq, &wq, &wv, &wq, &wq, &wv, &p, &pa,
                                                        &pv, &ga, &gv, NULL, &err);
    if (status != VT_OK) {
        fprintf(stderr, "  forward: %s\n", err.message);
        return 1;
    }
    double grad_wq[1] = {-7}; /* (0, 4): empty, but a pointer */
    DLTensor gwq = vt_tensor(grad_wq, VT_FLOAT64, 2, dk);
    status = vt_dual_attention_matching_backward(&p, NULL, NULL, NULL, NULL, &audio, &visual, &mask, &wq, &wq, &wv,
                                                 &wq, &wq, &wv, NULL, &audio, NULL, &gwq, NULL, NULL, NULL, NULL, NULL,
                                                 &err);
    if (status != VT_OK) fprintf(stderr, "  backward: %s\n", err.message);
    return status == VT_OK ? 0 : 1;
}

static void test_dam_many_clips_without_segments_allocate_nothing(void) {
    CHECK(in_child(dam_many_clips_no_segments, 20, 64) == 0, "DAM, n = 2^31 - 1, t = 0, d = 0, dk = 4");
}

/* ---- scratch from checked allocations ---- */

#ifndef NO_ADDRESS_SPACE_LIMIT
static int all_equal(const float *values, int count, float value) {
    for (int i = 0; i < count; i++)
        if (values[i] != value) return 0;
    return 1;
}

/* GTA at T = 4096 (a 64 MB attn, and a 64 MB mixing matrix to build): with 32 MB to spare the
 * scratch cannot be had, which is VT_ERR_ALLOCATION with y untouched. */
static float *gta_v, *gta_attn, *gta_y;

static int gta_forward_without_memory(void) {
    int64_t vshape[3] = {4096, 1, 1}, ashape[4] = {1, 1, 4096, 4096};
    DLTensor v = vt_tensor(gta_v, VT_FLOAT32, 3, vshape), attn = vt_tensor(gta_attn, VT_FLOAT32, 4, ashape);
    DLTensor y = vt_tensor(gta_y, VT_FLOAT32, 3, vshape);
    vt_error err;
    int32_t status = vt_global_temporal_attention_forward(&v, &attn, &y, 4096, &err);
    if (status != VT_ERR_ALLOCATION) fprintf(stderr, "  status %d: %s\n", status, err.message);
    return status == VT_ERR_ALLOCATION && all_equal(gta_y, 4096, -7.0f) ? 0 : 1;
}

/* TIN with G = 2^22 groups (every one of no channels: F = 0): 2G part shifts of scratch. */
static float *tin_offsets, *tin_weights;

static int tin_forward_without_memory(void) {
    int64_t xshape[4] = {1, 1, 1, 1}, oshape[2] = {1, 1 << 22}, wshape[3] = {1, 1, 1 << 22};
    float x[1] = {3}, y[1] = {-7};
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, xshape), ty = vt_tensor(y, VT_FLOAT32, 4, xshape);
    DLTensor to = vt_tensor(tin_offsets, VT_FLOAT32, 2, oshape), tw = vt_tensor(tin_weights, VT_FLOAT32, 3, wshape);
    vt_error err;
    int32_t status = vt_temporal_interlace_forward(&tx, &to, &tw, &ty, 1, 2, &err);
    if (status != VT_ERR_ALLOCATION) fprintf(stderr, "  status %d: %s\n", status, err.message);
    return status == VT_ERR_ALLOCATION && y[0] == -7.0f ? 0 : 1;
}
#endif

static void test_scratch_allocation_failure_is_a_status(void) {
#ifdef NO_ADDRESS_SPACE_LIMIT
    printf("(allocation limits skipped: no address-space limit here)\n");
#else
    gta_v = calloc(4096, sizeof(float));
    gta_attn = calloc((size_t)4096 * 4096, sizeof(float));
    gta_y = malloc(4096 * sizeof(float));
    for (int i = 0; i < 4096; i++) gta_y[i] = -7.0f;
    CHECK(in_child(gta_forward_without_memory, 60, 32) == 0, "GTA forward, T = 4096, 32 MB to spare");
    free(gta_v), free(gta_attn), free(gta_y);
    tin_offsets = calloc(1 << 22, sizeof(float));
    tin_weights = calloc(1 << 22, sizeof(float));
    CHECK(in_child(tin_forward_without_memory, 60, 32) == 0, "TIN forward, G = 2^22, 32 MB to spare");
    free(tin_offsets), free(tin_weights);
#endif
}

/* ---- threads ---- */

/* A 4 x 16 x 16 correlation and motion squeeze: OK with any thread count (with 2^31 - 1 they
 * sized per-thread scratch for that many and returned ALLOCATION), and the same bytes. */
static void test_status_does_not_depend_on_the_thread_count(void) {
    enum { C = 4, H = 16, W = 16, P = 7, PLANE = H * W };
    static float f1[C * PLANE], f2[C * PLANE], out[2][P * P * PLANE], x[2 * C * PLANE], map[2][2 * 3 * PLANE];
    for (int i = 0; i < C * PLANE; i++) f1[i] = sinf((float)i), f2[i] = cosf((float)i * 0.7f);
    for (int i = 0; i < 2 * C * PLANE; i++) x[i] = sinf((float)i * 0.3f);
    int64_t fshape[4] = {1, C, H, W}, oshape[5] = {1, P, P, H, W}, xshape[4] = {2, C, H, W}, mshape[4] = {2, 3, H, W};
    DLTensor t1 = vt_tensor(f1, VT_FLOAT32, 4, fshape), t2 = vt_tensor(f2, VT_FLOAT32, 4, fshape);
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, xshape);
    int32_t counts[2] = {INT32_MAX, 1};
    for (int k = 0; k < 2; k++) {
        vt_error err;
        CHECK(vt_set_num_threads(counts[k], &err) == VT_OK, "vt_set_num_threads(%d)", counts[k]);
        if (k == 0) CHECK(vt_get_num_threads() == VT_MAX_THREADS, "threads capped: %d", vt_get_num_threads());
        DLTensor to = vt_tensor(out[k], VT_FLOAT32, 5, oshape), tm = vt_tensor(map[k], VT_FLOAT32, 4, mshape);
        CHECK(vt_correlation_forward(&t1, &t2, &to, P, 1, &err) == VT_OK, "correlation, %d threads: %s", counts[k],
              err.message);
        CHECK(vt_motion_squeeze_forward(&tx, &tm, 2, P, 5.0, 100.0, 1, &err) == VT_OK, "motion squeeze, %d threads: %s",
              counts[k], err.message);
    }
    vt_set_num_threads(0, NULL);
    CHECK(memcmp(out[0], out[1], sizeof out[0]) == 0, "correlation differs between thread counts");
    CHECK(memcmp(map[0], map[1], sizeof map[0]) == 0, "motion squeeze differs between thread counts");
}

/* ---- correlation: dilations past the image ---- */

/* Valid huge dilations (2^31 gave ALLOCATION, 2^62 SHAPE_MISMATCH): only the centre displacement
 * reaches the image, the other planes read padding and are 0, and the gradients see only it. */
static void test_huge_dilation_reads_padding(void) {
    enum { C = 2, H = 3, W = 9, P = 5, PLANE = H * W };
    float f1[C * PLANE], f2[C * PLANE], out[P * P * PLANE], grad[P * P * PLANE], g1[C * PLANE], g2[C * PLANE];
    for (int i = 0; i < C * PLANE; i++) f1[i] = (float)(i % 7) - 3, f2[i] = (float)(i % 5) - 2;
    for (int i = 0; i < P * P * PLANE; i++) grad[i] = 1;
    int64_t fshape[4] = {1, C, H, W}, oshape[5] = {1, P, P, H, W};
    DLTensor t1 = vt_tensor(f1, VT_FLOAT32, 4, fshape), t2 = vt_tensor(f2, VT_FLOAT32, 4, fshape);
    DLTensor to = vt_tensor(out, VT_FLOAT32, 5, oshape), tg = vt_tensor(grad, VT_FLOAT32, 5, oshape);
    DLTensor tg1 = vt_tensor(g1, VT_FLOAT32, 4, fshape), tg2 = vt_tensor(g2, VT_FLOAT32, 4, fshape);
    int64_t dilations[3] = {2147483648LL, 1LL << 62, INT64_MAX};
    for (int k = 0; k < 3; k++) {
        vt_error err;
        CHECK(vt_correlation_forward(&t1, &t2, &to, P, dilations[k], &err) == VT_OK, "forward: %s", err.message);
        int ok = 1;
        for (int plane = 0; plane < P * P; plane++)
            for (int p = 0; p < PLANE; p++) {
                float want = plane == P * P / 2 ? f1[p] * f2[p] + f1[PLANE + p] * f2[PLANE + p] : 0;
                ok &= out[plane * PLANE + p] == want;
            }
        CHECK(ok, "dilation %lld: not the centre's products and zeros", (long long)dilations[k]);
        CHECK(vt_correlation_backward(&tg, &t1, &t2, &tg1, &tg2, P, dilations[k], &err) == VT_OK, "backward: %s",
              err.message);
        /* Only the centre plane (of ones) reaches f2 and f1: grad_f1 = f2, grad_f2 = f1. */
        CHECK(memcmp(g1, f2, sizeof g1) == 0 && memcmp(g2, f1, sizeof g2) == 0, "dilation %lld: gradients",
              (long long)dilations[k]);
    }
}

/* ---- messages ---- */

/* A mismatch names the function's own argument (once "out" in the correlation backward, and an
 * internal volume in the motion squeeze backward). */
static void test_messages_name_the_arguments(void) {
    float f[2 * 8 * 8] = {0}, g[2 * 9 * 9 * 8 * 8], gx[2 * 8 * 8];
    int64_t fshape[4] = {1, 2, 8, 8}, wrong[5] = {1, 3, 9, 8, 8};
    DLTensor tf = vt_tensor(f, VT_FLOAT32, 4, fshape), tg = vt_tensor(g, VT_FLOAT32, 5, wrong);
    DLTensor tgx = vt_tensor(gx, VT_FLOAT32, 4, fshape);
    vt_error err;
    CHECK(vt_correlation_backward(&tg, &tf, &tf, &tgx, NULL, 9, 1, &err) == VT_ERR_SHAPE_MISMATCH, "correlation");
    CHECK(strstr(err.message, "vt_correlation_backward: grad.shape[1]=3") == err.message, "message: %s",
          err.message);
    CHECK(strcmp(err.argument, "grad") == 0, "argument: %s", err.argument);
    int64_t xshape[4] = {2, 1, 8, 8}, gshape[4] = {2, 2, 8, 8};
    DLTensor tx = vt_tensor(f, VT_FLOAT32, 4, xshape), tgo = vt_tensor(g, VT_FLOAT32, 4, gshape);
    DLTensor tgx2 = vt_tensor(gx, VT_FLOAT32, 4, xshape);
    CHECK(vt_motion_squeeze_backward(&tgo, &tx, &tgx2, 2, 3, 5.0, 100.0, 1, &err) == VT_ERR_SHAPE_MISMATCH,
          "motion squeeze");
    CHECK(strstr(err.message, "vt_motion_squeeze_backward: grad.shape[1]=2") == err.message, "message: %s",
          err.message);
    CHECK(strcmp(err.argument, "grad") == 0, "argument: %s", err.argument);
    /* A scalar's error names it; an allocation names none; success clears both. */
    CHECK(vt_motion_squeeze_backward(&tgo, &tx, &tgx2, 0, 3, 5.0, 100.0, 1, &err) == VT_ERR_INVALID_ARGUMENT &&
              strcmp(err.argument, "num_segments") == 0, "scalar argument: %s", err.argument);
    CHECK(vt_set_num_threads(0, &err) == VT_OK && err.argument[0] == 0 && err.message[0] == 0, "success clears");
}

/* ---- fork ---- */

/* Children forked before this process's first matrix product each run one two-thread spatial
 * attention. One child in a few hundred hung when OpenBLAS was configured by a lazy global that
 * the tasks read: the Swift runtime's lock behind it keeps the parent's thread id in a forked
 * child, so a task waiting on it while the calling thread initialized it waited forever. */
static int spatial_attention_in_two_threads(void) {
    enum { B = 8, D = 16, S = 64 };
    static float q[B * D * S], y[B * D * S];
    for (int i = 0; i < B * D * S; i++) q[i] = sinf((float)i);
    int64_t shape[3] = {B, D, S};
    DLTensor tq = vt_tensor(q, VT_FLOAT32, 3, shape), ty = vt_tensor(y, VT_FLOAT32, 3, shape);
    vt_set_num_threads(2, NULL);
    return vt_spatial_attention_forward(&tq, &tq, &tq, &ty, NULL, NULL) == VT_OK ? 0 : 1;
}

static void test_forked_children_do_not_hang(void) {
#ifdef VT_TEST_UNDER_QEMU
    /* Forks are what this tests, and qemu-user cannot fork a multithreaded process reliably (see
     * in_child): natively only (make test-c, make test-asan). */
    printf("(forked children: natively only)\n");
    return;
#endif
    enum { CHILDREN = 2000 };
    int failures = 0;
    for (int i = 0; i < CHILDREN; i++) failures += in_child(spatial_attention_in_two_threads, 5, 0) != 0;
    CHECK(failures == 0, "%d of %d forked children hung or failed", failures, CHILDREN);
}

int main(void) {
    test_forked_children_do_not_hang(); /* first: before this process runs a matrix product */
    test_cml_localize_huge_segments_without_features();
    test_cml_localize_long_clip_and_exact_ties();
    test_region_pool_backward_empty_frames_cost_nothing();
    test_dam_many_clips_without_segments_allocate_nothing();
    test_scratch_allocation_failure_is_a_status();
    test_status_does_not_depend_on_the_thread_count();
    test_huge_dilation_reads_padding();
    test_messages_name_the_arguments();
    REPORT();
}
