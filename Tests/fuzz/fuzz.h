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

#define FZ_MAX_SYMBOLS 8
#define FZ_MAX_TENSORS 24
#define FZ_MAX_SCALARS 6

typedef struct {
    const char *name;
    fz_caller call;
    int handle, creates; /* takes a stream first; creates one */
    int nsymbols;
    const char *symbols[FZ_MAX_SYMBOLS];
    int derived; /* the symbol vt_dual_attention_matching_workspace_count gives, or -1 */
    int derived_inputs[4];
    int ntensors;
    fz_tensor tensors[FZ_MAX_TENSORS];
    int nscalars;
    fz_scalar scalars[FZ_MAX_SCALARS];
    int channels_last; /* its 4-d tensors may also be NHWC (all of a call's in one format) */
} fz_function;

#endif
