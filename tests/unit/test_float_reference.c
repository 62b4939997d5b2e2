/* The float executor against TensorFlow.js (wasm backend) on real inputs:
 * tests/data/ref/<case>/ holds the input tensor our preprocessing produced
 * and the outputs TF.js computed from it (tools/tfjs-ref/make-refs). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/detector.h"
#include "tests_common.h"

/* Max abs error allowed, relative to the output's largest magnitude. */
#define REL_TOL 2e-4

static void check_case(const char *name)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "ref/%s/case.json", name);
    size_t len;
    char *txt = tc_read_file(tc_testdata(rel), &len);
    cJSON *c = cJSON_Parse(txt);
    cr_assert(c);
    char model[512];
    snprintf(model, sizeof(model), "models/%s", cJSON_GetObjectItem(c, "model")->valuestring);
    struct dd_detector *d;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_detector_open(tc_asset(model), &d, &err), 0, "%s", err.msg);

    snprintf(rel, sizeof(rel), "ref/%s/input.f32", name);
    float *input = tc_read_file(tc_testdata(rel), &len);
    const struct dd_graph *g = d->graph;
    cr_assert_eq(len, (size_t)dd_shape_count(&g->tensors[g->input].shape) * 4);
    memcpy(dd_float_exec_input(d->exec), input, len);
    cr_assert_eq(dd_float_exec_run(d->exec, &err), 0, "%s", err.msg);

    snprintf(rel, sizeof(rel), "ref/%s/meta.json", name);
    char *mtxt = tc_read_file(tc_testdata(rel), &len);
    cJSON *meta = cJSON_Parse(mtxt);
    cJSON *outs = cJSON_GetObjectItem(meta, "outputs"), *o;
    int checked = 0;
    float *refs[16];
    cJSON_ArrayForEach(o, outs)
    {
        const char *oname = cJSON_GetObjectItem(o, "name")->valuestring;
        int k = 0;
        while (k < g->n_outputs && strcmp(g->tensors[g->outputs[k]].name, oname) != 0) k++;
        cr_assert_lt(k, g->n_outputs, "output %s not in graph", oname);
        snprintf(rel, sizeof(rel), "ref/%s/%s", name, cJSON_GetObjectItem(o, "file")->valuestring);
        size_t rlen;
        float *ref = tc_read_file(tc_testdata(rel), &rlen);
        size_t n = (size_t)dd_shape_count(&g->tensors[g->outputs[k]].shape);
        cr_assert_eq(rlen, n * 4, "%s: size differs", oname);
        const float *ours = dd_float_exec_tensor(d->exec, g->outputs[k]);
        double max_ref = 0, max_err = 0, sum_err = 0;
        for (size_t i = 0; i < n; i++) {
            double e = fabs((double)ours[i] - ref[i]);
            max_ref = fmax(max_ref, fabs(ref[i]));
            max_err = fmax(max_err, e);
            sum_err += e;
        }
        cr_log_info("%s %s: max|ref| %.4g, max abs err %.3g (%.3g relative), mean abs err %.3g",
                    name, oname, max_ref, max_err, max_err / fmax(max_ref, 1e-12), sum_err / n);
        cr_assert_leq(max_err, REL_TOL * fmax(max_ref, 1.0), "%s %s: max abs err %g > %g", name,
                      oname, max_err, REL_TOL * fmax(max_ref, 1.0));
        refs[k] = ref;
        checked++;
    }
    cr_assert_eq(checked, g->n_outputs);

    /* Detections decoded from TF.js's outputs equal ours. */
    struct dd_det_list mine, theirs;
    dd_det_list_init(&mine);
    dd_det_list_init(&theirs);
    const float *ro[16];
    for (int k = 0; k < g->n_outputs; k++) ro[k] = refs[k];
    struct dd_letterbox lb;
    dd_letterbox_fit(d->family.input.width, d->family.input.height, d->family.input.width,
                     d->family.input.height, &lb);
    struct dd_detect_opts opts = DD_DETECT_OPTS_DEFAULT;
    cr_assert_eq(dd_detector_postprocess(d, &lb, &opts, &mine, &err), 0);
    /* TF.js's outputs through the same postprocessing */
    cr_assert_eq(dd_detections_from_outputs(&d->family, ro, &lb, &opts, &theirs, &err), 0);
    cr_assert_eq(mine.n, theirs.n, "%zu detections vs TF.js's %zu", mine.n, theirs.n);
    cr_assert_gt(mine.n, 0);
    for (size_t i = 0; i < mine.n; i++) {
        cr_assert_eq(mine.v[i].cls, theirs.v[i].cls);
        cr_assert_float_eq(mine.v[i].score, theirs.v[i].score, 1e-3);
        cr_assert_float_eq(mine.v[i].x1, theirs.v[i].x1, 0.05);
        cr_assert_float_eq(mine.v[i].y2, theirs.v[i].y2, 0.05);
    }
    for (int k = 0; k < g->n_outputs; k++) free(refs[k]);
    dd_det_list_destroy(&mine);
    dd_det_list_destroy(&theirs);
    cJSON_Delete(meta);
    cJSON_Delete(c);
    free(mtxt);
    free(txt);
    free(input);
    dd_detector_close(d);
}

Test(float_reference, nanodet_matches_tfjs_on_vtest_frame_300, .timeout = 600)
{
    check_case("nanodet_vtest300");
}

Test(float_reference, blazeface_matches_tfjs_on_sample1, .timeout = 600)
{
    check_case("blazeface_sample1");
}
