/* Fuzz test of the C ABI. Every tensor function of the op table (functions_generated.h) and
 * every hand-written function is called with valid arguments, valid but extreme ones (a zero
 * dim beside dims and scalars up to 2^63) and malformed ones (NULLs, wrong ranks, dims, dtypes,
 * devices, strides, offsets, overlaps, scalars). Tensors live in guard-page buffers (an access
 * outside one faults), inputs are read-only (a write faults), outputs are filled with a sentinel.
 * A call must return a status, never crash or hang; on an error it must write nothing (outputs
 * keep the sentinel, in/out tensors their values) and its message must name the function; a
 * valid call's results must not depend on the thread count.
 *
 * Each batch of calls runs in a child process so that a crash or a hang is counted and reported
 * with the call that caused it, and the run goes on. Case i draws everything (the function, the
 * thread count, the arguments) from its own seed, so `fuzz_abi --seed S --case i` replays it alone.
 *
 * Usage: fuzz_abi [--seed S] [--calls N] [--batch B] [--from I] [--case I]: N cases from case I
 * (0) in batches of B, or case I alone.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "functions_generated.h"

#define NFUNCTIONS ((int)(sizeof fz_functions / sizeof fz_functions[0]))
#define CAP_ELEMENTS 20000  /* the most elements the fuzzer gives one tensor */
#define CALL_SECONDS 20     /* a call (or a case's few calls) taking longer is a hang */
/* Output bytes before a call: all bits set is a NaN at every float width (and -1 as int64) that no
 * computation on the fuzzer's finite inputs produces, so a written element never reads as
 * unwritten, even among the 65,536 values of a 2-byte element. */
#define SENTINEL 0xFF
#define NSTATUS 7

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

/* ---- random numbers (splitmix64): one stream per case, so that any case replays alone ---- */

typedef struct {
    uint64_t state;
} rng;

static uint64_t next(rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t below(rng *r, int64_t n) { return (int64_t)(next(r) % (uint64_t)n); }
static bool chance(rng *r, int percent) { return below(r, 100) < percent; }
static double uniform(rng *r) { return (double)(next(r) >> 11) * 0x1.0p-53; }

#define PICK(r, array) ((array)[below((r), (int64_t)(sizeof(array) / sizeof((array)[0])))])

/* ---- what the children report to the parent ---- */

typedef struct {
    long long running;            /* the case a child is running */
    char description[8192];       /* that case's call, for a crash report */
    long long calls, statuses[NSTATUS + 1], violations;
} report;

static report *shared;

static void violation(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *format, ...) {
    __atomic_add_fetch(&shared->violations, 1, __ATOMIC_SEQ_CST);
    fprintf(stderr, "VIOLATION case %lld: ", shared->running);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n    %s\n", shared->description);
}

/* ---- guard-page memory ---- */

static size_t page;

typedef struct {
    char *base;
    size_t mapped;
} mapping;

typedef struct {
    mapping maps[4 * FZ_MAX_TENSORS + 8];
    int count;
} arena;

/* `bytes` of memory ending where a no-access page begins, after a no-access page. */
static char *guarded(arena *a, size_t bytes) {
    size_t body = (bytes + page - 1) / page * page;
    char *base = mmap(NULL, body + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    mprotect(base, page, PROT_NONE);
    mprotect(base + page + body, page, PROT_NONE);
    a->maps[a->count++] = (mapping){base, body + 2 * page};
    return base + page + body - bytes;
}

/* A pointer into a no-access page: where an empty tensor's data may point. */
static char *nowhere(arena *a) {
    char *p = guarded(a, 0);
    return p;
}

static void make_read_only(char *data, size_t bytes) {
    if (bytes == 0) return;
    uintptr_t start = (uintptr_t)data / page * page;
    mprotect((void *)start, (uintptr_t)data + bytes - start, PROT_READ);
}

static void release(arena *a) {
    for (int i = 0; i < a->count; i++) munmap(a->maps[i].base, a->maps[i].mapped);
    a->count = 0;
}

/* ---- one case ---- */

enum { VALID, EXTREME, MALFORMED };
static const char *category_names[] = {"valid", "extreme", "malformed"};

typedef struct {
    const fz_function *f;
    int category;
    DLDataType dtype;
    int64_t sym[FZ_MAX_SYMBOLS];
    int any_ndim;
    int64_t any_shape[4];
    fz_value scalars[FZ_MAX_SCALARS];
    DLTensor dl[FZ_MAX_TENSORS];
    DLTensor *arg[FZ_MAX_TENSORS];
    char *memory[FZ_MAX_TENSORS]; /* the elements as allocated (outputs: sentinel-filled) */
    size_t bytes[FZ_MAX_TENSORS];
    char *original[FZ_MAX_TENSORS]; /* an in/out tensor's values before the call */
    bool no_ok;                     /* a mutation no implementation may accept */
    int threads;                    /* vt_set_num_threads for the call */
    char mutations[160];            /* what was done to a valid call */
    int64_t stream_fold;            /* fold_div of the stream a step runs on */
    bool null_handle, null_created, null_err;
    arena memory_arena;
} call_case;

static int64_t saturating_mul(int64_t a, int64_t b) {
    int64_t r;
    if (a < 0 || b < 0) return -1;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t dim_value(const call_case *c, fz_dim d) {
    switch (d.kind) {
    case FZ_CONSTANT: return d.a;
    case FZ_SYMBOL: return c->sym[d.a];
    default: return saturating_mul(c->sym[d.a], c->sym[d.b]);
    }
}

static int tensor_rank(const call_case *c, int i) {
    int rank = c->f->tensors[i].rank;
    return rank < 0 ? c->any_ndim : rank;
}

static int64_t tensor_dim(const call_case *c, int i, int d) {
    return c->f->tensors[i].rank < 0 ? c->any_shape[d] : dim_value(c, c->f->tensors[i].dims[d]);
}

static int64_t tensor_count(const call_case *c, int i) {
    int64_t count = 1;
    for (int d = 0; d < tensor_rank(c, i); d++) count = saturating_mul(count, tensor_dim(c, i, d));
    return count;
}

static int element_size(DLDataType t) {
    int size = (t.bits * t.lanes + 7) / 8;
    return size < 1 ? 1 : size > 16 ? 16 : size;
}

static const DLDataType F32 = {kDLFloat, 32, 1}, F64 = {kDLFloat, 64, 1}, I64 = {kDLInt, 64, 1};
static const DLDataType F16 = {kDLFloat, 16, 1}, BF16 = {kDLBfloat, 16, 1};

static bool same_dtype(DLDataType a, DLDataType b) { return a.code == b.code && a.bits == b.bits && a.lanes == b.lanes; }

/* The floating dtypes every function serves. */
/* A 4-d tensor whose row-major and channels_last memory are the same (or that has no elements). */
static bool both_layouts(const DLTensor *t) {
    if (t->ndim != 4 || !t->shape) return true; /* not a layout question (a malformed tensor is refused anyway) */
    int64_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= t->shape[d];
    return count == 0 || t->shape[1] == 1 || (t->shape[2] == 1 && t->shape[3] == 1);
}

static bool served_float(DLDataType t) {
    return same_dtype(t, F32) || same_dtype(t, F64) || same_dtype(t, F16) || same_dtype(t, BF16);
}

static const char *dtype_name(DLDataType t) {
    return same_dtype(t, F32) ? "float32" : same_dtype(t, F64) ? "float64" : same_dtype(t, F16) ? "float16" : "bfloat16";
}

/* v in [-1, 1] (or 0, 1) as float16 bits: exact for the fuzzer's needs, tiny values flush to 0. */
static uint16_t float16_bits(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    int exponent = (int)((bits >> 23) & 0xff) - 127 + 15;
    if (exponent <= 0) return sign;
    return (uint16_t)(sign | (exponent << 10) | ((bits >> 13) & 0x3ff));
}

static const int64_t huge_dims[] = {(1ll << 31) - 1, 1ll << 31, (1ll << 32) + 1, 1ll << 40, 1ll << 62, INT64_MAX};
static const int64_t extreme_ints[] = {0, 1, 2, 3, (1ll << 31) - 1, 1ll << 31, (1ll << 31) + 1, 1ll << 32,
                                       1ll << 62, INT64_MAX, -1, INT64_MIN};
static const double extreme_doubles[] = {0.0, -0.0, 5e-324, 1e-300, 1.0, 5.0, 1e300, INFINITY, -INFINITY, NAN, -1.0};

/* The derived size k, or -1 when its function refuses these symbols. */
static int64_t derived_size(const call_case *c, int k) {
    const fz_derived *d = &c->f->derived[k];
    int64_t inputs[FZ_MAX_DERIVED_INPUTS], count = -1;
    for (int i = 0; i < d->ninputs; i++) inputs[i] = c->sym[d->inputs[i]];
    vt_error err;
    return d->size(inputs, &count, &err) == VT_OK ? count : -1;
}

static void choose_scalars(call_case *c, rng *r, bool extreme) {
    const fz_function *f = c->f;
    for (int j = 0; j < f->nscalars; j++) {
        const fz_scalar *s = &f->scalars[j];
        int64_t minimum = s->minimum == INT64_MIN ? 0 : s->minimum;
        if (s->symbol >= 0) {
            if (!extreme && c->sym[s->symbol] < minimum) c->sym[s->symbol] = minimum + below(r, 3);
            c->scalars[j].i = c->sym[s->symbol];
        } else if (s->kind == FZ_DOUBLE) {
            c->scalars[j].d = extreme ? PICK(r, extreme_doubles) : 0.5 + 9.5 * uniform(r);
        } else if (s->kind == FZ_INT64) {
            c->scalars[j].i = extreme ? PICK(r, extreme_ints) : minimum + below(r, 4);
        } else if (s->kind == FZ_INT32) {
            static const int64_t int32s[] = {0, 1, 2, 3, -1, INT32_MAX, INT32_MIN};
            c->scalars[j].i = extreme ? PICK(r, int32s) : below(r, 3);
        } else {
            static const int64_t flags[] = {0, 1, 2, -1, INT32_MIN};
            c->scalars[j].i = extreme ? PICK(r, flags) : below(r, 2);
        }
    }
}

static void choose_valid(call_case *c, rng *r) {
    const fz_function *f = c->f;
    for (int k = 0; k < f->nsymbols; k++) c->sym[k] = chance(r, 8) ? 0 : 1 + below(r, 4);
    c->any_ndim = (int)below(r, 4);
    for (int d = 0; d < c->any_ndim; d++) c->any_shape[d] = chance(r, 5) ? 0 : 1 + below(r, 5);
    choose_scalars(c, r, false);
    for (int k = 0; k < f->nderived; k++) {
        int64_t size = derived_size(c, k);
        c->sym[f->derived[k].symbol] = size < 0 ? 0 : size;
    }
}

/* A zero dim beside huge ones; false when the draw gives a tensor too big to allocate. */
static bool choose_extreme(call_case *c, rng *r) {
    const fz_function *f = c->f;
    int zero = f->nsymbols ? (int)below(r, f->nsymbols) : -1;
    for (int k = 0; k < f->nsymbols; k++)
        c->sym[k] = k == zero ? 0 : chance(r, 50) ? PICK(r, huge_dims) : 1 + below(r, 3);
    c->any_ndim = 1 + (int)below(r, 3);
    for (int d = 0; d < c->any_ndim; d++) c->any_shape[d] = chance(r, 50) ? PICK(r, huge_dims) : below(r, 3);
    c->any_shape[below(r, c->any_ndim)] = 0;
    choose_scalars(c, r, true);
    for (int k = 0; k < f->nderived; k++) {
        int64_t size = derived_size(c, k);
        c->sym[f->derived[k].symbol] = size < 0 ? 1 + below(r, 4) : size;
    }
    for (int i = 0; i < f->ntensors; i++)
        if (!f->tensors[i].optional && tensor_count(c, i) > CAP_ELEMENTS) return false;
    return true;
}

/* Values in [-1, 1] (0 or 1 for a mask or labels, (0, 1) for probabilities); bytes of 0x3c for a
 * dtype no function takes. */
static void fill_input(const call_case *c, int i, char *memory, int64_t count, DLDataType dtype, rng *r) {
    const char *name = c->f->tensors[i].name;
    bool unit = !strcmp(name, "mask") || !strcmp(name, "labels") || !strcmp(name, "p");
    bool f32 = dtype.code == kDLFloat && dtype.bits == 32 && dtype.lanes == 1;
    bool f64 = dtype.code == kDLFloat && dtype.bits == 64 && dtype.lanes == 1;
    bool i64 = dtype.code == kDLInt && dtype.bits == 64 && dtype.lanes == 1;
    bool f16 = same_dtype(dtype, F16), bf16 = same_dtype(dtype, BF16);
    if (!f32 && !f64 && !i64 && !f16 && !bf16) {
        memset(memory, 0x3c, (size_t)count * element_size(dtype));
        return;
    }
    for (int64_t e = 0; e < count; e++) {
        double v = unit ? (!strcmp(name, "p") ? 0.05 + 0.9 * uniform(r) : (double)below(r, 2)) : 2 * uniform(r) - 1;
        float single = (float)v;
        uint32_t bits;
        memcpy(&bits, &single, 4);
        if (f32) ((float *)memory)[e] = single;
        else if (f64) ((double *)memory)[e] = v;
        else if (f16) ((uint16_t *)memory)[e] = float16_bits(single);
        else if (bf16) ((uint16_t *)memory)[e] = (uint16_t)(bits >> 16);
        else ((int64_t *)memory)[e] = below(r, 4);
    }
}

/* Gives tensor i memory for its shape and dtype: guard pages around it, inputs filled and made
 * read-only, outputs sentinel-filled. */
static void allocate(call_case *c, int i, rng *r) {
    DLTensor *t = &c->dl[i];
    t->byte_offset = 0;
    int64_t count = 1;
    for (int d = 0; d < t->ndim; d++) count = saturating_mul(count, t->shape[d] < 0 ? 0 : t->shape[d]);
    if (count > CAP_ELEMENTS || count < 0) count = 0; /* the call must refuse such a shape */
    size_t bytes = (size_t)count * element_size(t->dtype);
    if (count == 0) {
        t->data = chance(r, 50) ? NULL : nowhere(&c->memory_arena);
        c->memory[i] = NULL;
        c->bytes[i] = 0;
        return;
    }
    char *memory = guarded(&c->memory_arena, bytes);
    int role = c->f->tensors[i].role;
    if (role == FZ_OUT) {
        memset(memory, SENTINEL, bytes);
    } else {
        fill_input(c, i, memory, count, t->dtype, r);
        if (role == FZ_IN) make_read_only(memory, bytes);
    }
    t->data = memory;
    c->memory[i] = memory;
    c->bytes[i] = bytes;
}

static int64_t *shape_array(call_case *c, int ndim) {
    return (int64_t *)guarded(&c->memory_arena, sizeof(int64_t) * (size_t)(ndim > 0 ? ndim : 0));
}

static void build_tensors(call_case *c, rng *r) {
    const fz_function *f = c->f;
    for (int i = 0; i < f->ntensors; i++) {
        const fz_tensor *spec = &f->tensors[i];
        DLTensor *t = &c->dl[i];
        int ndim = tensor_rank(c, i);
        *t = (DLTensor){0};
        t->device.device_type = kDLCPU;
        t->ndim = ndim;
        t->dtype = spec->index ? I64 : c->dtype;
        t->shape = shape_array(c, ndim);
        for (int d = 0; d < ndim; d++) t->shape[d] = tensor_dim(c, i, d);
        c->arg[i] = t;
        if (spec->optional && (chance(r, 25) || tensor_count(c, i) > CAP_ELEMENTS)) {
            c->arg[i] = NULL;
            continue;
        }
        allocate(c, i, r);
    }
}

/* ---- mutations of a valid call ---- */

static int random_tensor(call_case *c, rng *r, bool present) {
    for (int tries = 0; tries < 40; tries++) {
        int i = (int)below(r, c->f->ntensors);
        if (!present || c->arg[i]) return i;
    }
    return -1;
}

static bool any_role(const call_case *c, int i, int role) { return c->arg[i] && c->f->tensors[i].role == role; }

static const char *mutation_names[] = {"NULL tensor", "ndim +-1", "one dim", "dtype", "device", "strides",
                                       "byte_offset", "NULL data", "overlap", "scalar", "ndim extreme",
                                       "NULL stream or out", "mixed dtypes"};

#define MUTATIONS 13
#define OVERLAP 8

/* Applies mutation `kind` to a random tensor (or scalar). The fuzzer never lies about memory: a
 * tensor whose shape or dtype changes gets memory for it (or a shape no call may accept). */
static void mutate(call_case *c, rng *r, int kind) {
    const fz_function *f = c->f;
    int i = random_tensor(c, r, true);
    if (i < 0) kind = 11;
    size_t used = strlen(c->mutations);
    snprintf(c->mutations + used, sizeof c->mutations - used, "%s%s%s%s", used ? ", " : "", mutation_names[kind],
             i >= 0 && kind != 11 ? " of " : "", i >= 0 && kind != 11 ? f->tensors[i].name : "");
    DLTensor *t = i >= 0 ? c->arg[i] : NULL;
    bool shape_read = kind == 1 || kind == 2 || kind == 3 || kind == 5 || kind == 10 || kind == 12;
    if (t && shape_read && (!t->shape || t->ndim < 0 || t->ndim > 8)) return; /* broken by a first mutation */
    switch (kind) {
    case 0: /* a NULL tensor */
        c->arg[i] = NULL;
        if (!f->tensors[i].optional) c->no_ok = true;
        break;
    case 1: { /* one dim more (of size 1) or one less (merged into the one before) */
        int ndim = t->ndim + (chance(r, 50) || t->ndim == 0 ? 1 : -1);
        int64_t *shape = shape_array(c, ndim);
        for (int d = 0; d < ndim; d++) shape[d] = d < t->ndim ? t->shape[d] : 1;
        if (ndim < t->ndim && ndim > 0) shape[ndim - 1] = saturating_mul(t->shape[ndim - 1], t->shape[ndim]);
        t->shape = shape;
        t->ndim = ndim;
        t->strides = NULL;
        if (f->tensors[i].rank >= 0) c->no_ok = true;
        break;
    }
    case 2: { /* one dim changed; the memory follows the new shape (refused shapes get none) */
        if (t->ndim == 0) break;
        static const int64_t deltas[] = {1, -1, 2};
        int d = (int)below(r, t->ndim);
        int64_t *shape = shape_array(c, t->ndim);
        memcpy(shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
        int choice = (int)below(r, 4);
        int64_t before = shape[d];
        shape[d] = choice == 0 ? shape[d] + PICK(r, deltas) : choice == 1 ? 0
                   : choice == 2 ? (chance(r, 50) ? -1 : INT64_MIN) : PICK(r, huge_dims);
        if (shape[d] < 0 && choice != 2) shape[d] = 0;
        if (choice == 3) {
            /* Huge only where the bytes overflow (a call must refuse it): a huge shape that fits
             * the address space would be valid without memory behind it. */
            __int128 bytes = element_size(t->dtype), limit = (__int128)1 << 100;
            for (int k = 0; k < t->ndim; k++) bytes = bytes * shape[k] > limit ? limit : bytes * shape[k];
            if (bytes < ((__int128)1 << 63)) shape[d] = before + 1;
        }
        t->shape = shape;
        allocate(c, i, r);
        break;
    }
    case 3: { /* another dtype (memory for its element size) */
        static const DLDataType types[] = {{kDLFloat, 16, 1}, {kDLBfloat, 16, 1}, {kDLInt, 32, 1}, {kDLInt, 64, 1},
                                           {kDLUInt, 8, 1},   {kDLFloat, 32, 2},  {kDLFloat, 0, 1}, {kDLFloat, 33, 1},
                                           {99, 32, 1},       {kDLFloat, 32, 1},  {kDLFloat, 64, 1}, {6 /* kDLBool */, 8, 1},
                                           {kDLComplex, 64, 1}, {kDLFloat, 32, 0}};
        t->dtype = PICK(r, types);
        allocate(c, i, r);
        bool index = t->dtype.code == kDLInt && t->dtype.bits == 64 && t->dtype.lanes == 1;
        /* Another served float is refused only beside the call's other floating tensors. */
        bool alone = true;
        for (int k = 0; k < f->ntensors; k++)
            if (k != i && c->arg[k] && !f->tensors[k].index) alone = false;
        bool floating = served_float(t->dtype) && (same_dtype(t->dtype, c->dtype) || alone);
        if (f->tensors[i].index ? !index : !floating) c->no_ok = true;
        break;
    }
    case 4: { /* another device */
        static const int devices[] = {kDLCUDA, kDLCUDAHost, kDLOpenCL, kDLVulkan, kDLMetal, kDLROCM, kDLExtDev, 0, 99};
        t->device.device_type = PICK(r, devices);
        t->device.device_id = (int)below(r, 3);
        c->no_ok = true;
        break;
    }
    case 5: { /* explicit strides: compact or channels_last (valid where served), or neither (refused) */
        int64_t *strides = shape_array(c, t->ndim);
        int64_t expected = 1;
        for (int d = t->ndim - 1; d >= 0; d--) {
            strides[d] = expected;
            expected = saturating_mul(expected, t->shape[d]);
        }
        if (t->ndim == 4 && chance(r, 30)) { /* NHWC: C fastest, then W, H, N */
            static const int order[4] = {1, 3, 2, 0};
            expected = 1;
            for (int k = 0; k < 4; k++) {
                strides[order[k]] = expected;
                expected = saturating_mul(expected, t->shape[order[k]]);
            }
            t->strides = strides;
            /* Refused where not served, and beside a row-major 4-d tensor, unless either is both
             * (C = 1 or H W = 1) or empty. */
            if (!both_layouts(t)) {
                if (!f->channels_last) c->no_ok = true;
                for (int k = 0; k < f->ntensors; k++)
                    if (k != i && c->arg[k] && c->arg[k]->ndim == 4 && !both_layouts(c->arg[k])) c->no_ok = true;
            }
            break;
        }
        int d = t->ndim ? (int)below(r, t->ndim) : 0;
        if (t->ndim && chance(r, 60) && t->shape[d] > 1 && tensor_count(c, i) > 0) {
            static const int64_t factors[] = {2, 0, -1};
            strides[d] *= PICK(r, factors);
            c->no_ok = true;
        }
        t->strides = strides;
        break;
    }
    case 6: { /* byte_offset: honoured, misaligned or overflowing */
        if (!t->data) break;
        int choice = (int)below(r, 3);
        if (choice == 0) {
            uint64_t shift = (uint64_t)element_size(t->dtype) * (1 + (uint64_t)below(r, 8));
            t->data = (char *)t->data - shift;
            t->byte_offset = shift;
        } else if (choice == 1 && c->bytes[i]) {
            t->byte_offset = 1;
            c->no_ok = true;
        } else if (choice == 2 && c->bytes[i]) {
            t->byte_offset = UINT64_MAX - (uint64_t)below(r, 4096);
            c->no_ok = true;
        }
        break;
    }
    case 7: /* NULL data with elements */
        if (c->bytes[i]) {
            t->data = NULL;
            c->no_ok = true;
        }
        break;
    case 8: { /* an output overlapping an input */
        int out = -1, in = -1;
        for (int tries = 0; tries < 40 && (out < 0 || in < 0); tries++) {
            int k = (int)below(r, f->ntensors);
            if (any_role(c, k, FZ_OUT) && c->bytes[k]) out = k;
            if (c->arg[k] && c->f->tensors[k].role != FZ_OUT && c->bytes[k]) in = k;
        }
        if (out < 0 || in < 0) break;
        int size = element_size(c->dl[in].dtype);
        c->dl[out].data = c->memory[in] + size * below(r, (int64_t)(c->bytes[in] / size));
        c->dl[out].byte_offset = 0;
        c->no_ok = true;
        break;
    }
    case 9: { /* a scalar out of range */
        if (!f->nscalars) break;
        int j = (int)below(r, f->nscalars);
        const fz_scalar *s = &f->scalars[j];
        if (s->kind == FZ_DOUBLE) {
            c->scalars[j].d = PICK(r, extreme_doubles);
        } else if (s->minimum != INT64_MIN && chance(r, 50)) {
            c->scalars[j].i = s->minimum - 1 - below(r, 2);
            c->no_ok = true;
        } else {
            c->scalars[j].i = PICK(r, extreme_ints);
        }
        break;
    }
    case 10: { /* ndim negative, huge, or a NULL shape */
        int choice = (int)below(r, 3);
        if (choice == 0) {
            t->ndim = -1 - (int)below(r, 3);
            c->no_ok = true;
        } else if (choice == 1) {
            int ndim = 40 + (int)below(r, 100);
            int64_t *shape = shape_array(c, ndim);
            for (int d = 0; d < ndim; d++) shape[d] = d < t->ndim ? t->shape[d] : 1;
            t->shape = shape;
            t->ndim = ndim;
            t->strides = NULL;
            if (f->tensors[i].rank >= 0) c->no_ok = true;
        } else if (t->ndim > 0) {
            t->shape = NULL;
            c->no_ok = true;
        }
        break;
    }
    case 11: /* no stream, nowhere to put the new one */
        if (f->handle) c->null_handle = c->no_ok = true;
        if (f->creates) c->null_created = c->no_ok = true;
        break;
    default: { /* one tensor's dtype the other floating dtype (a mixed call) */
        if (f->tensors[i].index) break;
        t->dtype = t->dtype.bits == 32 ? F64 : F32;
        allocate(c, i, r);
        for (int k = 0; k < f->ntensors; k++)
            if (k != i && c->arg[k] && !f->tensors[k].index) c->no_ok = true;
        break;
    }
    }
}

/* ---- describing a case (for reports) ---- */

static void describe(const call_case *c, char *out, size_t size) {
    const fz_function *f = c->f;
    int n = snprintf(out, size, "%s [%s, %s]", f->name, category_names[c->category],
                     dtype_name(c->dtype));
    for (int i = 0; i < f->ntensors && n < (int)size; i++) {
        const DLTensor *t = c->arg[i];
        n += snprintf(out + n, size - n, " %s=", f->tensors[i].name);
        if (!t) {
            n += snprintf(out + n, size - n, "NULL");
            continue;
        }
        n += snprintf(out + n, size - n, "(");
        for (int d = 0; d < t->ndim && d < 8 && t->shape; d++)
            n += snprintf(out + n, size - n, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        n += snprintf(out + n, size - n, ")%s%d:%d:%d", t->shape ? "" : "shape=NULL,", t->dtype.code, t->dtype.bits,
                      t->dtype.lanes);
        if (t->ndim > 8) n += snprintf(out + n, size - n, ",ndim=%d", t->ndim);
        if (t->device.device_type != kDLCPU) n += snprintf(out + n, size - n, ",dev=%d", t->device.device_type);
        if (t->strides) n += snprintf(out + n, size - n, ",strided");
        if (t->byte_offset) n += snprintf(out + n, size - n, ",off=%llu", (unsigned long long)t->byte_offset);
        if (!t->data) n += snprintf(out + n, size - n, ",data=NULL");
    }
    for (int j = 0; j < f->nscalars && n < (int)size; j++) {
        if (f->scalars[j].kind == FZ_DOUBLE) n += snprintf(out + n, size - n, " %s=%g", f->scalars[j].name, c->scalars[j].d);
        else n += snprintf(out + n, size - n, " %s=%lld", f->scalars[j].name, (long long)c->scalars[j].i);
    }
    if (c->null_handle) n += snprintf(out + n, size - n, " stream=NULL");
    if (c->null_created) n += snprintf(out + n, size - n, " out=NULL");
    if (c->null_err && n < (int)size) n += snprintf(out + n, size - n, " err=NULL");
    if (c->mutations[0] && n < (int)size) snprintf(out + n, size - n, " {%s}", c->mutations);
}

/* ---- running a case ---- */

static void count_status(int32_t status) {
    shared->calls++;
    shared->statuses[status >= 0 && status < NSTATUS ? status : NSTATUS]++;
}

static bool all_sentinel(const char *memory, size_t bytes) {
    for (size_t b = 0; b < bytes; b++)
        if ((unsigned char)memory[b] != SENTINEL) return false;
    return true;
}

/* An output element left as the sentinel after a successful call (not written). */
static bool has_sentinel_element(const char *memory, size_t bytes, int size) {
    for (size_t e = 0; e + size <= bytes; e += size)
        if (all_sentinel(memory + e, size)) return true;
    return false;
}

/* Whether `text` has `name` as a whole word (an argument's name, not part of another's). */
static bool names(const char *text, const char *name) {
    size_t length = strlen(name);
    for (const char *at = strstr(text, name); at; at = strstr(at + 1, name)) {
        bool before = at == text || !(isalnum((unsigned char)at[-1]) || at[-1] == '_');
        bool after = !(isalnum((unsigned char)at[length]) || at[length] == '_');
        if (before && after) return true;
    }
    return false;
}

static void check_message(const call_case *c, int32_t status, const vt_error *err) {
    if (status < 0 || status >= NSTATUS) violation("status %d is not a VT_* code", status);
    if (!err) return;
    if (err->status != status) violation("err.status %d but returned %d", err->status, status);
    if (!memchr(err->message, 0, sizeof err->message)) {
        violation("err.message is not NUL-terminated");
        return;
    }
    size_t length = strlen(c->f->name);
    if (status == VT_OK && err->message[0]) violation("OK with a message: %s", err->message);
    if (status != VT_OK && (strncmp(err->message, c->f->name, length) || strncmp(err->message + length, ": ", 2)
                            || !err->message[length + 2]))
        violation("the message does not start with \"%s: \" and a text: %s", c->f->name, err->message);
    /* Every refusal names the argument it is about (a failed allocation names none). */
    if (status != VT_OK && status != VT_ERR_ALLOCATION) {
        const char *text = err->message + length;
        bool named = (c->f->handle && names(text, "stream")) || (c->f->creates && names(text, "out"));
        for (int i = 0; i < c->f->ntensors && !named; i++) named = names(text, c->f->tensors[i].name);
        for (int j = 0; j < c->f->nscalars && !named; j++) named = names(text, c->f->scalars[j].name);
        if (!named) violation("the message names no argument of %s: %s", c->f->name, err->message);
    }
}

/* Calls the function once; a created stream is freed. */
static int32_t call_once(call_case *c, vt_error *err) {
    const fz_function *f = c->f;
    void *handle = NULL, *created = NULL;
    if (f->handle && !c->null_handle) {
        /* A stream for the step's first tensor's valid shape and the call's dtype. */
        const DLTensor *frame = &c->dl[0];
        int64_t shape[4];
        for (int d = 0; d < 4; d++) shape[d] = tensor_dim(c, 0, d);
        DLTensor like = vt_tensor(NULL, frame->dtype, 4, shape);
        like.dtype = c->dtype;
        if (vt_temporal_shift_stream_create(&like, c->stream_fold, (vt_temporal_shift_stream **)&handle, NULL) != VT_OK)
            handle = NULL;
    }
    alarm(CALL_SECONDS);
    int32_t status = f->call(handle, c->arg, c->scalars, c->null_created ? NULL : &created, c->null_err ? NULL : err);
    alarm(0);
    if (created) vt_temporal_shift_stream_free(created);
    if (handle) vt_temporal_shift_stream_free(handle);
    return status;
}

static void reset_outputs(call_case *c) {
    for (int i = 0; i < c->f->ntensors; i++) {
        if (!c->memory[i]) continue;
        if (c->f->tensors[i].role == FZ_OUT) memset(c->memory[i], SENTINEL, c->bytes[i]);
        if (c->f->tensors[i].role == FZ_INOUT) memcpy(c->memory[i], c->original[i], c->bytes[i]);
    }
}

static const int thread_counts[] = {0, 1, 2, 3, 8, INT32_MAX};

static void run_case(long long index, uint64_t seed, bool verbose) {
    rng r = {seed * 0x100000001B3ull ^ (uint64_t)index * 0x9E3779B97F4A7C15ull};
    call_case *c = calloc(1, sizeof *c);
    c->f = &fz_functions[index % (NFUNCTIONS + 1)];
    c->threads = PICK(&r, thread_counts);
    c->stream_fold = 1 + below(&r, 4);
    c->dtype = chance(&r, 40) ? F32 : chance(&r, 50) ? F64 : chance(&r, 50) ? F16 : BF16;
    c->category = chance(&r, 40) ? VALID : chance(&r, 40) ? EXTREME : MALFORMED;
    if (c->category == EXTREME) {
        bool drawn = false;
        for (int tries = 0; tries < 100 && !drawn; tries++) drawn = choose_extreme(c, &r);
        if (!drawn) c->category = VALID;
    }
    if (c->category != EXTREME) choose_valid(c, &r);
    build_tensors(c, &r);
    if (c->category == MALFORMED) {
        /* A second mutation can make the first one's call valid again (a dim set to 0 makes any
         * strides valid): only a single one decides what must be refused. */
        int kinds[2] = {(int)below(&r, MUTATIONS), (int)below(&r, MUTATIONS)}, mutations = chance(&r, 70) ? 1 : 2;
        /* An overlap last: an alias into memory that a later mutation replaces would be a lie. */
        if (mutations == 2 && kinds[0] == OVERLAP) kinds[0] = kinds[1], kinds[1] = OVERLAP;
        for (int m = 0; m < mutations; m++) mutate(c, &r, kinds[m]);
        if (mutations > 1) c->no_ok = false;
    }
    c->null_err = chance(&r, 8);
    for (int i = 0; i < c->f->ntensors; i++) {
        if (c->memory[i] && c->f->tensors[i].role == FZ_INOUT) {
            c->original[i] = malloc(c->bytes[i]);
            memcpy(c->original[i], c->memory[i], c->bytes[i]);
        }
    }
    vt_set_num_threads(c->threads, NULL);
    describe(c, shared->description, sizeof shared->description);
    if (verbose) printf("%s, %d threads\n", shared->description, c->threads);

    vt_error err;
    memset(&err, 0x5a, sizeof err);
    int32_t status = call_once(c, &err);
    count_status(status);
    check_message(c, status, c->null_err ? NULL : &err);
    if (verbose) printf("status %d: %s\n", status, c->null_err ? "(err NULL)" : err.message);

    if (status == VT_OK && c->no_ok) violation("accepted a call it must refuse");
    /* The fuzzer's tensors are small: needing more scratch than memory holds is a bug. */
    if (status == VT_ERR_ALLOCATION && c->category != MALFORMED) violation("VT_ERR_ALLOCATION on tensors of at most %d elements", CAP_ELEMENTS);
    for (int i = 0; i < c->f->ntensors; i++) {
        if (!c->memory[i]) continue;
        int role = c->f->tensors[i].role;
        if (status != VT_OK && role == FZ_OUT && !all_sentinel(c->memory[i], c->bytes[i]))
            violation("wrote %s, then returned status %d", c->f->tensors[i].name, status);
        if (status != VT_OK && role == FZ_INOUT && memcmp(c->memory[i], c->original[i], c->bytes[i]))
            violation("changed %s, then returned status %d", c->f->tensors[i].name, status);
        if (status == VT_OK && c->category == VALID && role == FZ_OUT && c->arg[i] == &c->dl[i]
            && strcmp(c->f->tensors[i].name, "workspace")
            && has_sentinel_element(c->memory[i], c->bytes[i], element_size(c->dl[i].dtype)))
            violation("returned OK but left elements of %s unwritten", c->f->tensors[i].name);
    }

    /* The same call on one thread: the same status and the same bytes. */
    int threads = c->threads;
    if (c->category != MALFORMED && threads != 1) {
        char *first[FZ_MAX_TENSORS] = {0};
        for (int i = 0; i < c->f->ntensors; i++) {
            if (!c->memory[i] || c->f->tensors[i].role == FZ_IN) continue;
            first[i] = malloc(c->bytes[i]);
            memcpy(first[i], c->memory[i], c->bytes[i]);
        }
        reset_outputs(c);
        vt_set_num_threads(1, NULL);
        int32_t again = call_once(c, &err);
        count_status(again);
        if (again != status) violation("status %d with %d threads but %d with one", status, threads, again);
        for (int i = 0; i < c->f->ntensors; i++) {
            if (!first[i]) continue;
            if (again == status && status == VT_OK && memcmp(first[i], c->memory[i], c->bytes[i])
                && strcmp(c->f->tensors[i].name, "workspace"))
                violation("%s differs between %d threads and one", c->f->tensors[i].name, threads);
            free(first[i]);
        }
    }
    for (int i = 0; i < c->f->ntensors; i++) free(c->original[i]);
    release(&c->memory_arena);
    free(c);
}

/* The hand-written functions: library queries, thread count, workspace size, stream lifecycle. */
static void run_library_case(long long index, uint64_t seed) {
    rng r = {seed ^ (uint64_t)index * 0xD1B54A32D192ED03ull};
    vt_error err;
    snprintf(shared->description, sizeof shared->description, "library functions, case %lld", index);
    if (vt_abi_version() != VT_ABI_VERSION) violation("vt_abi_version() is not VT_ABI_VERSION");
    if (strcmp(vt_version_string(), VT_VERSION)) violation("vt_version_string() is not VT_VERSION");
    const char *build = vt_cpu_dispatch();
    if (!build || (strcmp(build, "x86-64-v4") && strcmp(build, "x86-64-v3") && strcmp(build, "x86-64") &&
                   strcmp(build, "arm64") && strcmp(build, "portable")))
        violation("vt_cpu_dispatch() is not a known build");
    vt_blas_info blas;
    bool null_info = chance(&r, 20);
    int32_t blas_status = vt_get_blas_info(null_info ? NULL : &blas, chance(&r, 50) ? &err : NULL);
    count_status(blas_status);
    if (blas_status != (null_info ? VT_ERR_NULL_POINTER : VT_OK) || (!null_info && !memchr(blas.core, 0, sizeof blas.core)))
        violation("vt_get_blas_info returned %d", blas_status);
    int32_t code = (int32_t)(chance(&r, 50) ? below(&r, 10) - 2 : (int32_t)next(&r));
    if (!vt_status_string(code)) violation("vt_status_string(%d) is NULL", code);
    static const int32_t counts[] = {0, 1, 2, 3, 64, INT32_MAX, -1, INT32_MIN};
    int32_t n = PICK(&r, counts);
    int32_t status = vt_set_num_threads(n, chance(&r, 50) ? &err : NULL);
    count_status(status);
    if ((status == VT_OK) != (n >= 0)) violation("vt_set_num_threads(%d) returned %d", n, status);
    if (vt_get_num_threads() < 1) violation("vt_get_num_threads() < 1 after vt_set_num_threads(%d)", n);

    int64_t dims[4], count = -7;
    for (int d = 0; d < 4; d++) dims[d] = chance(&r, 50) ? PICK(&r, extreme_ints) : below(&r, 5);
    bool null_count = chance(&r, 10);
    status = vt_dual_attention_matching_workspace_count(dims[0], dims[1], dims[2], dims[3], null_count ? NULL : &count, &err);
    count_status(status);
    if (status == VT_OK && count < 0) violation("workspace count %lld", (long long)count);
    if (status != VT_OK && count != -7) violation("workspace count written on error");

    status = vt_temporal_shift_stream_reset(NULL, &err);
    count_status(status);
    if (status != VT_ERR_NULL_POINTER) violation("vt_temporal_shift_stream_reset(NULL) returned %d", status);
    vt_temporal_shift_stream_free(NULL);
}

/* A hang stops the child, so that the parent can print its threads' stacks before killing it. */
static void on_alarm(int signal) {
    (void)signal;
    static const char text[] = "HANG: a call took longer than the limit\n";
    (void)!write(2, text, sizeof text - 1);
    raise(SIGSTOP);
    _exit(128 + SIGALRM);
}

static void run(long long index, uint64_t seed, bool verbose) {
    shared->running = index;
    if (index % (NFUNCTIONS + 1) == NFUNCTIONS) run_library_case(index, seed);
    else run_case(index, seed, verbose);
}

static void start_child(void) {
#ifndef ASAN
    /* A bound on the address space, so that a runaway allocation fails fast instead of paging. */
    struct rlimit limit = {(rlim_t)8 << 30, (rlim_t)8 << 30};
    setrlimit(RLIMIT_AS, &limit);
#endif
    signal(SIGALRM, on_alarm);
}

int main(int argc, char **argv) {
    uint64_t seed = 1;
    long long calls = 20000, batch = 250, only = -1, from = 0;
    for (int a = 1; a + 1 < argc; a += 2) {
        if (!strcmp(argv[a], "--seed")) seed = strtoull(argv[a + 1], NULL, 0);
        else if (!strcmp(argv[a], "--calls")) calls = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--batch")) batch = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--case")) only = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--from")) from = atoll(argv[a + 1]);
        else {
            fprintf(stderr, "usage: %s [--seed S] [--calls N] [--batch B] [--from I] [--case I]\n", argv[0]);
            return 2;
        }
    }
    page = (size_t)sysconf(_SC_PAGESIZE);
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (only >= 0) {
        start_child();
        run(only, seed, true);
        return shared->violations ? 1 : 0;
    }
    long long cases = 0, crashes = 0, hangs = 0;
    time_t start = time(NULL);
    calls += from;
    for (long long first = from; first < calls;) {
        long long end = first + batch < calls ? first + batch : calls;
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            start_child();
            for (long long i = first; i < end; i++) run(i, seed, false);
            _exit(0);
        }
        int status;
        waitpid(child, &status, WUNTRACED);
        if (WIFSTOPPED(status)) {
            char command[128];
            snprintf(command, sizeof command, "gdb -batch -p %d -ex 'thread apply all bt' 2>/dev/null | grep '^#'", (int)child);
            if (system("command -v gdb >/dev/null 2>&1") == 0 && system(command) != 0) fprintf(stderr, "(no stacks)\n");
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            status = (128 + SIGALRM) << 8;   /* reported as a hang */
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            cases += end - first;
            first = end;
            continue;
        }
        long long failed = shared->running;
        bool hang = WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGALRM;
        if (hang) hangs++;
        else crashes++;
        fprintf(stderr, "%s case %lld (%s %d): %s\n    replay: %s --seed %llu --case %lld\n", hang ? "HANG" : "CRASH",
                failed, WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                shared->description, argv[0], (unsigned long long)seed, failed);
        cases += failed + 1 - first;
        first = failed + 1;
    }
    static const char *names[] = {"OK", "NULL_POINTER", "INVALID_ARGUMENT", "SHAPE_MISMATCH", "UNSUPPORTED",
                                  "ALLOCATION", "INTERNAL", "other"};
    printf("fuzz_abi: seed %llu, %lld cases over %d functions and the library calls, %lld calls in %lld s\n  statuses:",
           (unsigned long long)seed, cases, NFUNCTIONS, shared->calls, (long long)(time(NULL) - start));
    for (int s = 0; s <= NSTATUS; s++) printf(" %s %lld", names[s], shared->statuses[s]);
    printf("\n  crashes %lld, hangs %lld, violations %lld\n", crashes, hangs, shared->violations);
    return crashes || hangs || shared->violations ? 1 : 0;
}
