/* Backends as plug-ins: one ops table per engine that runs a model package's
 * instructions (cpu, golden, xrt, rtlsim, ...), and a registry by name. A new
 * backend is one file defining its `struct dd_backend_ops` and one entry in
 * the table of accel/backend.c; the command line, the config schema and the
 * daemon take their names from the registry.
 *
 * Lifecycle: open (per model: unpack weights, program the device) -> run
 * (a range of instructions on one frame, any number of times, one at a time)
 * -> close. A backend borrows the package, which must outlive it. */
#ifndef DD_ACCEL_BACKEND_H
#define DD_ACCEL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "accel/package.h"
#include "common/error.h"
#include "isa/isa.h"

/* Backend options (XRT: the device and the xclbin); others ignore them. */
struct dd_backend_opts {
    const char *xrt_device; /* an index ("0") or a PCIe BDF ("0000:03:00.1"); NULL: "0" */
    const char *xclbin;
    unsigned timeout_ms;    /* one kernel call (0: 2000) */
    const char *rtl_config; /* rtlsim, xrt: the RTL configuration ("kv260", "z7020"; NULL: kv260) */
};

/* The frame an INPUT instruction reads, and the buffer behind its pixels
 * (fd -1: none) for backends that can read it in place. */
struct dd_backend_frame {
    const struct dd_isa_frame *frame;
    int fd;
    uint64_t offset;
};

struct dd_backend_stats {
    const char *kernel;    /* the kernel variant doing the convolutions, or NULL */
    int64_t helper_cpu_ns; /* CPU time of the backend's own threads so far */
    uint64_t runs;         /* device kernel calls */
    uint64_t frames_imported, frames_userptr, frames_copied; /* how a device got frames */
};

struct dd_backend_ops {
    const char *name;
    const char *help; /* one line: what runs the instructions */
    int (*open)(const struct dd_pkg *pkg, const struct dd_backend_opts *opts, void **state,
                struct dd_err *err);
    /* The arena the backend computes in (a device arena's host view), or
     * NULL: the caller allocates pkg->arena_size bytes and passes them to run. */
    int8_t *(*device_arena)(void *state);
    /* Instructions [first, first + count) on one frame; checks the range and
     * the frame first. */
    int (*run)(void *state, int8_t *arena, const struct dd_backend_frame *in, uint32_t first,
               uint32_t count, struct dd_err *err);
    void (*get_stats)(void *state, struct dd_backend_stats *out); /* may be NULL */
    void (*close)(void *state);
};

/* The registry, in the order --help lists them. */
extern const struct dd_backend_ops *const dd_backends[];
extern const size_t dd_n_backends;

/* The backend called name; NULL if this build has none by that name. */
const struct dd_backend_ops *dd_backend_find(const char *name);
/* The names of this build's backends joined by sep ("cpu|golden|xrt|rtlsim")
 * into buf; returns buf. */
const char *dd_backend_names(char *buf, size_t size, const char *sep);

/* An open backend. */
struct dd_backend {
    const struct dd_backend_ops *ops;
    void *state;
};

/* Which backend to open, and the one to open instead when it cannot open
 * (no FPGA): fallback NULL = fail. */
struct dd_backend_choice {
    const char *name; /* NULL: "cpu" */
    struct dd_backend_opts opts;
    const char *fallback;
};

/* The choice of one backend by name, default options, no fallback. */
#define DD_BACKEND_ONLY(name)                                                                      \
    (&(const struct dd_backend_choice){(name), {NULL, NULL, 0, NULL}, NULL})

/* Opens choice->name for pkg, else choice->fallback; why_fallback (size
 * bytes, "" when none) records why the first choice did not open. Fails
 * with a clear message for an unknown name. */
int dd_backend_open(const struct dd_pkg *pkg, const struct dd_backend_choice *choice,
                    struct dd_backend *out, char *why_fallback, size_t size, struct dd_err *err);
void dd_backend_close(struct dd_backend *b);

#endif
