/* What the fuzz test knows of each tensor function: the op table's declaration of its arguments
 * (tools/generate_glue.py writes functions_generated.h from it) and a caller that passes a
 * generic argument list to the real function. */
#ifndef VT_FUZZ_H
#define VT_FUZZ_H

#include <stdint.h>
#include <vidtemporal.h>

/* A scalar argument's value: integers and flags in i, doubles in d. */
typedef union {
    int64_t i;
    double d;
} fz_value;

enum { FZ_CONSTANT, FZ_SYMBOL, FZ_PRODUCT };   /* a dim: a, symbol a, or symbol a * symbol b */
enum { FZ_IN, FZ_OUT, FZ_INOUT };
enum { FZ_INT64, FZ_INT32, FZ_BOOL, FZ_DOUBLE };

typedef struct {
    int kind, a, b;
} fz_dim;

typedef struct {
    const char *name;
    int role, optional, index; /* index: an int64 tensor, not of the call's floating dtype */
    int rank;                  /* -1: any shape, the same for every such tensor of the call */
    fz_dim dims[5];
} fz_tensor;

typedef struct {
    const char *name;
    int kind;
    int64_t minimum; /* INT64_MIN: none */
    int symbol;      /* the symbol this scalar gives its value, or -1 */
} fz_scalar;

typedef int32_t (*fz_caller)(void *handle, DLTensor *const *t, const fz_value *s, void **created, vt_error *err);

#define FZ_MAX_SYMBOLS 16
#define FZ_MAX_TENSORS 24
#define FZ_MAX_SCALARS 12
#define FZ_MAX_DERIVED 2
#define FZ_MAX_DERIVED_INPUTS 5

/* A size function of the ABI on an array of its int64 parameters. */
typedef int32_t (*fz_sizer)(const int64_t *v, int64_t *count, vt_error *err);

/* A symbol a size function computes from others (the DAM workspace, a sampled correlation's
 * output height). */
typedef struct {
    int symbol;
    fz_sizer size;
    int ninputs;
    int inputs[FZ_MAX_DERIVED_INPUTS];
} fz_derived;

typedef struct {
    const char *name;
    fz_caller call;
    int handle, creates; /* takes a stream first; creates one */
    int nsymbols;
    const char *symbols[FZ_MAX_SYMBOLS];
    int nderived;
    fz_derived derived[FZ_MAX_DERIVED];
    int ntensors;
    fz_tensor tensors[FZ_MAX_TENSORS];
    int nscalars;
    fz_scalar scalars[FZ_MAX_SCALARS];
    int channels_last; /* its 4-d tensors may also be NHWC (all of a call's in one format) */
} fz_function;

#endif
