/* OpenBLAS's CBLAS interface, imported into Swift as COpenBLAS: the build of scipy-openblas32
 * (PyPI; the OpenBLAS numpy and scipy ship: DYNAMIC_ARCH, kernels chosen per CPU at run time,
 * glibc 2.27), found through -I/-L flags from tools/swift_blas_flags.sh and copied beside the
 * library. Its symbols carry a scipy_ prefix (so that it never meets another OpenBLAS in one
 * process); the few functions the kernels call are given their standard names here. */
#include <cblas.h>

static inline void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                               const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n, const blasint k,
                               const float alpha, const float *a, const blasint lda, const float *b,
                               const blasint ldb, const float beta, float *c, const blasint ldc) {
    scipy_cblas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static inline void cblas_dgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                               const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n, const blasint k,
                               const double alpha, const double *a, const blasint lda, const double *b,
                               const blasint ldb, const double beta, double *c, const blasint ldc) {
    scipy_cblas_dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static inline void cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
                               const blasint n, const float alpha, const float *a, const blasint lda,
                               const float *x, const blasint incx, const float beta, float *y, const blasint incy) {
    scipy_cblas_sgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

static inline void cblas_dgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
                               const blasint n, const double alpha, const double *a, const blasint lda,
                               const double *x, const blasint incx, const double beta, double *y,
                               const blasint incy) {
    scipy_cblas_dgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

static inline void openblas_set_num_threads(int n) { scipy_openblas_set_num_threads(n); }
static inline int openblas_get_num_threads(void) { return scipy_openblas_get_num_threads(); }
static inline char *openblas_get_config(void) { return scipy_openblas_get_config(); }
static inline char *openblas_get_corename(void) { return scipy_openblas_get_corename(); }
