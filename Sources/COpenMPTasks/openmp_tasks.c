#include "openmp_tasks.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gomp_parallel_function)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*omp_max_threads_function)(void);

// Found once the runtime is in the process; looked up again on every call until then (a kernel
// may run before `import torch`). Both pointers are stored before `found` is published.
static _Atomic(gomp_parallel_function) gomp_parallel;
static _Atomic(omp_max_threads_function) omp_max_threads;
static atomic_int found;
// GNU OpenMP's threads do not survive fork: a forked child never uses them.
static atomic_int forked;

static void in_child(void) { atomic_store(&forked, 1); }

__attribute__((constructor)) static void register_fork_handler(void) { pthread_atfork(NULL, NULL, in_child); }

static int resolve(void) {
    if (atomic_load_explicit(&found, memory_order_acquire)) return 1;
    const char *choice = getenv("VT_THREADING");
    if (choice && strcmp(choice, "dispatch") == 0) return 0;
    // Only a runtime already in the process (RTLD_NOLOAD): never load one ourselves.
    void *library = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!library) return 0;
    gomp_parallel_function parallel = (gomp_parallel_function)dlsym(library, "GOMP_parallel");
    omp_max_threads_function max_threads = (omp_max_threads_function)dlsym(library, "omp_get_max_threads");
    if (!parallel || !max_threads) return 0;
    atomic_store_explicit(&gomp_parallel, parallel, memory_order_relaxed);
    atomic_store_explicit(&omp_max_threads, max_threads, memory_order_relaxed);
    atomic_store_explicit(&found, 1, memory_order_release);
    return 1;
}

typedef struct {
    long tasks;
    void *context;
    vts_task_function fn;
    atomic_long next;
} job;

// Every team thread claims tasks until none is left, so a smaller team (nested parallelism)
// still runs them all.
static void run_tasks(void *argument) {
    job *j = argument;
    for (long task; (task = atomic_fetch_add(&j->next, 1)) < j->tasks;) j->fn(j->context, task);
}

int vts_run_on_openmp(long tasks, long threads, void *context, vts_task_function fn) {
    if (atomic_load(&forked) || !resolve()) return 0;
    job j = {tasks, context, fn, 0};
    // By default the team torch's setting gives (a team of another size makes libgomp start
    // and stop threads around every op).
    long team = threads > 0 ? threads : atomic_load_explicit(&omp_max_threads, memory_order_relaxed)();
    team = team < tasks ? team : tasks;
    atomic_load_explicit(&gomp_parallel, memory_order_relaxed)(run_tasks, &j, (unsigned)(team > 0 ? team : 1), 0);
    return 1;
}
