#include "accel/backend.h"

#include <stdio.h>
#include <string.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/golden.h"
#include "common/log.h"
#if defined(DD_WITH_XRT)
#include "accel/xrt/xrt_backend.h"
#endif
#if defined(DD_WITH_RTLSIM)
#include "accel/rtl/rtlsim.h"
#endif

const struct dd_backend_ops *const dd_backends[] = {
    &dd_backend_cpu,
    &dd_backend_golden,
#if defined(DD_WITH_XRT)
    &dd_backend_xrt,
#endif
#if defined(DD_WITH_RTLSIM)
    &dd_backend_rtlsim,
#endif
};
const size_t dd_n_backends = sizeof(dd_backends) / sizeof(dd_backends[0]);

const struct dd_backend_ops *dd_backend_find(const char *name)
{
    for (size_t i = 0; name && i < dd_n_backends; i++)
        if (strcmp(dd_backends[i]->name, name) == 0) return dd_backends[i];
    return NULL;
}

const char *dd_backend_names(char *buf, size_t size, const char *sep)
{
    size_t len = 0;
    if (size) *buf = 0;
    for (size_t k = 0; k < dd_n_backends && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? sep : "", dd_backends[k]->name);
    return buf;
}

static int open_one(const struct dd_pkg *pkg, const char *name, const struct dd_backend_opts *opts,
                    struct dd_backend *out, struct dd_err *err)
{
    const struct dd_backend_ops *ops = dd_backend_find(name);
    if (!ops) {
        char names[128];
        return dd_err_set(err, "backend '%s' is not in this build (it has %s)", name,
                          dd_backend_names(names, sizeof(names), ", "));
    }
    static const struct dd_backend_opts none = {NULL, NULL, 0, NULL};
    void *state = NULL;
    if (ops->open(pkg, opts ? opts : &none, &state, err) != 0) return -1;
    out->ops = ops;
    out->state = state;
    return 0;
}

int dd_backend_open(const struct dd_pkg *pkg, const struct dd_backend_choice *choice,
                    struct dd_backend *out, char *why_fallback, size_t size, struct dd_err *err)
{
    const char *name = choice->name ? choice->name : "cpu";
    out->ops = NULL;
    out->state = NULL;
    if (why_fallback && size) *why_fallback = 0;
    if (open_one(pkg, name, &choice->opts, out, err) == 0) return 0;
    const char *fb = choice->fallback;
    if (!fb || strcmp(fb, name) == 0 || !dd_backend_find(name)) return -1;
    char why[DD_ERR_MSG_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    if (open_one(pkg, fb, &choice->opts, out, err) != 0)
        return dd_err_prefix(err, "%s; fallback", why);
    if (why_fallback && size) snprintf(why_fallback, size, "%s", why);
    DD_LOG_W("%s; falling back to the %s backend", why, fb);
    return 0;
}

void dd_backend_close(struct dd_backend *b)
{
    if (b->ops && b->state) b->ops->close(b->state);
    b->ops = NULL;
    b->state = NULL;
}
