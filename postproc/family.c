#include "postproc/family.h"

#include <stdio.h>
#include <string.h>

#include "postproc/decode_blazeface.h"
#include "postproc/decode_nanodet.h"

const struct dd_family *const dd_families[] = {&dd_family_nanodet, &dd_family_blazeface};
const size_t dd_n_families = sizeof(dd_families) / sizeof(dd_families[0]);

static int input_geometry(const struct dd_shape *s, struct dd_input_spec *in, struct dd_err *err)
{
    if (s->rank != 4 || s->d[0] != 1)
        return dd_err_set(err, "model input must be [1,H,W,3] or [1,3,H,W]");
    if (s->d[3] == 3) {
        in->nchw = false;
        in->height = (int)s->d[1];
        in->width = (int)s->d[2];
    } else if (s->d[1] == 3) {
        in->nchw = true;
        in->height = (int)s->d[2];
        in->width = (int)s->d[3];
    } else {
        return dd_err_set(err, "model input must have 3 channels");
    }
    if (in->width < 1 || in->height < 1 || in->width > 8192 || in->height > 8192)
        return dd_err_set(err, "model input size %dx%d is out of range", in->width, in->height);
    return 0;
}

int dd_family_detect_shapes(const struct dd_shape *input, const struct dd_shape *outputs,
                            int n_outputs, struct dd_family_info *fi, struct dd_err *err)
{
    memset(fi, 0, sizeof(*fi));
    if (input_geometry(input, &fi->input, err) != 0) return -1;
    if (n_outputs < 0 || n_outputs > DD_FAMILY_MAX_OUTPUTS)
        return dd_err_set(err, "%d outputs: no known detector family has that many", n_outputs);
    struct dd_input_spec geometry = fi->input;
    for (size_t i = 0; i < dd_n_families; i++) {
        fi->input = geometry;
        if (dd_families[i]->match(outputs, n_outputs, fi) == 0) {
            fi->family = dd_families[i];
            fi->name = dd_families[i]->name;
            return 0;
        }
        memset(fi, 0, sizeof(*fi));
    }
    char known[DD_ERR_MSG_MAX / 2] = "";
    size_t len = 0;
    for (size_t i = 0; i < dd_n_families && len < sizeof(known); i++)
        len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s: %s", i ? "; " : "",
                                dd_families[i]->name, dd_families[i]->outputs_help);
    return dd_err_set(err, "outputs match no known detector family (%s)", known);
}

int dd_family_decode(const struct dd_family_info *fi, const float *const *outputs,
                     float score_threshold, struct dd_det_list *out, struct dd_err *err)
{
    if (fi->family->decode(fi, outputs, score_threshold, out) != 0)
        return dd_err_set(err, "decoding %s outputs failed (out of memory)", fi->name);
    return 0;
}

bool dd_family_output_is_logits(const struct dd_family_info *fi, int output)
{
    return fi->family->output_is_logits && fi->family->output_is_logits(fi, output);
}

int dd_family_find_output(const struct dd_shape *outputs, int n, int64_t cells, int64_t last)
{
    for (int k = 0; k < n; k++) {
        const struct dd_shape *s = &outputs[k];
        if (s->rank == 3 && s->d[0] == 1 && s->d[1] == cells && s->d[2] == last) return k;
    }
    return -1;
}

int dd_family_class_index(const struct dd_family_info *fi, const char *name)
{
    for (int i = 0; i < fi->num_classes; i++)
        if (strcmp(fi->labels[i], name) == 0) return i;
    return -1;
}

bool dd_family_any_has_class(const char *name)
{
    for (size_t f = 0; f < dd_n_families; f++)
        for (int i = 0; i < dd_families[f]->num_classes; i++)
            if (strcmp(dd_families[f]->labels[i], name) == 0) return true;
    return false;
}
