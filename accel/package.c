#include "accel/package.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"

uint32_t dd_crc32(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint64_t dd_isa_conv_weight_bytes(const struct dd_isa_insn *in, uint32_t ic, uint32_t oc)
{
    uint64_t per = (uint64_t)in->kh * in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : ic);
    uint64_t row = in->wbits == 4 ? (per + 1) / 2 : per;
    return row * oc;
}

/* ---- validation -------------------------------------------------------- */

static int check_tensor(const struct dd_pkg *p, uint32_t i, struct dd_err *err)
{
    const struct dd_isa_tensor *t = &p->tensors[i];
    if (t->h == 0 || t->w == 0 || t->c == 0 || t->pitch < t->c)
        return dd_err_set(err, "tensor %u: bad shape %ux%ux%u pitch %u", i, t->h, t->w, t->c,
                          t->pitch);
    if (t->zero_point < -128 || t->zero_point > 127)
        return dd_err_set(err, "tensor %u: zero point %d outside int8", i, t->zero_point);
    if (!(t->scale > 0.0f) || t->scale > 1e30f)
        return dd_err_set(err, "tensor %u: scale must be positive", i);
    uint64_t end = (uint64_t)t->offset + ((uint64_t)t->h * t->w - 1) * t->pitch + t->c;
    if (end > p->arena_size)
        return dd_err_set(err, "tensor %u: ends at byte %llu past the %u-byte arena", i,
                          (unsigned long long)end, p->arena_size);
    return 0;
}

static int blob_range(const struct dd_pkg *p, uint32_t i, const char *what, uint64_t off,
                      uint64_t bytes, uint64_t align, struct dd_err *err)
{
    if (off % align != 0)
        return dd_err_set(err, "instruction %u: %s offset %llu not %llu-aligned", i, what,
                          (unsigned long long)off, (unsigned long long)align);
    if (off > p->blob_size || bytes > p->blob_size - off)
        return dd_err_set(err, "instruction %u: %s [%llu, +%llu) outside the %llu-byte blob", i,
                          what, (unsigned long long)off, (unsigned long long)bytes,
                          (unsigned long long)p->blob_size);
    return 0;
}

static const struct dd_isa_tensor *operand(const struct dd_pkg *p, uint32_t i, uint16_t idx,
                                           const char *what, struct dd_err *err)
{
    if (idx >= p->n_tensors) {
        dd_err_set(err, "instruction %u: %s tensor %u does not exist", i, what, idx);
        return NULL;
    }
    return &p->tensors[idx];
}

static int conv_out(uint32_t in, uint32_t k, uint32_t s, uint32_t pa, uint32_t pb, uint32_t *out)
{
    if (in + pa + pb < k || s == 0) return -1;
    *out = (in + pa + pb - k) / s + 1;
    return 0;
}

int dd_pkg_check_insn(const struct dd_pkg *p, uint32_t i, struct dd_err *err)
{
    const struct dd_isa_insn *in = &p->insns[i];
    if (in->opcode == 0 || in->opcode >= DD_ISA_OPCODE_MAX_)
        return dd_err_set(err, "instruction %u: unknown opcode %u", i, in->opcode);
    if (in->flags & ~DD_ISA_F_ALL_)
        return dd_err_set(err, "instruction %u: unknown flags 0x%x", i, in->flags);
    if (in->reserved0 || in->reserved1 || in->reserved2[0] || in->reserved2[1] || in->reserved2[2])
        return dd_err_set(err, "instruction %u: reserved fields must be zero", i);
    if (in->clamp_min < -128 || in->clamp_max > 127 || in->clamp_min > in->clamp_max)
        return dd_err_set(err, "instruction %u: bad clamp [%d, %d]", i, in->clamp_min,
                          in->clamp_max);
    const struct dd_isa_tensor *o = operand(p, i, in->out, "output", err);
    if (!o) return -1;
    const struct dd_isa_tensor *a = NULL, *b = NULL;
    if (in->opcode != DD_ISA_INPUT && !(a = operand(p, i, in->in0, "input", err))) return -1;
    if (in->in1 != DD_ISA_NO_TENSOR && !(b = operand(p, i, in->in1, "second input", err)))
        return -1;
    if (b && in->opcode != DD_ISA_ADD)
        return dd_err_set(err, "instruction %u: only ADD has a second input", i);
    switch (in->opcode) {
    case DD_ISA_CONV: {
        if (in->kh == 0 || in->kw == 0 || in->kh > 15 || in->kw > 15)
            return dd_err_set(err, "instruction %u: kernel %ux%u out of range", i, in->kh, in->kw);
        if (in->wbits != 8 && in->wbits != 4)
            return dd_err_set(err, "instruction %u: weight bits %u (8 or 4)", i, in->wbits);
        uint32_t oh, ow;
        if (conv_out(a->h, in->kh, in->stride_h, in->pad_top, in->pad_bottom, &oh) ||
            conv_out(a->w, in->kw, in->stride_w, in->pad_left, in->pad_right, &ow))
            return dd_err_set(err, "instruction %u: kernel/stride/padding do not fit the input", i);
        if (in->flags & DD_ISA_F_POOL2X2) oh /= 2, ow /= 2;
        if (o->h != oh || o->w != ow)
            return dd_err_set(err, "instruction %u: output %ux%u, expected %ux%u", i, o->h, o->w,
                              oh, ow);
        if ((in->flags & DD_ISA_F_DEPTHWISE) && o->c != a->c)
            return dd_err_set(err, "instruction %u: depthwise output channels %u != %u", i, o->c,
                              a->c);
        if (blob_range(p, i, "weights", in->weights, dd_isa_conv_weight_bytes(in, a->c, o->c), 1,
                       err) ||
            blob_range(p, i, "bias", in->bias, 4ull * o->c, 4, err) ||
            blob_range(p, i, "requant", in->quant, 12ull * o->c, 4, err))
            return -1;
        /* the int32 accumulator never wraps: bias plus every product at its largest fits */
        int64_t per = (int64_t)in->kh * in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : a->c);
        int64_t most = per * (in->wbits == 4 ? 128 * 8 : 128 * 128);
        const int32_t *bias = (const int32_t *)(p->blob + in->bias);
        for (uint32_t c = 0; c < o->c; c++)
            if (bias[c] + most > INT32_MAX || bias[c] - most < INT32_MIN)
                return dd_err_set(err,
                                  "instruction %u: channel %u: bias %d and %lld products could "
                                  "overflow the int32 accumulator",
                                  i, c, bias[c], (long long)per);
        const int32_t *q = (const int32_t *)(p->blob + in->quant);
        for (uint32_t c = 0; c < o->c; c++) {
            int32_t m = q[3 * c], mn = q[3 * c + 1],
                    s = q[3 * c + 2]; /* m in [0, 2^31); m_neg any int32 with LEAKY (negative slopes
                                         too), else 0 */
            if (s < -30 || s > 31 || m < 0 || ((in->flags & DD_ISA_F_LEAKY) == 0 && mn != 0))
                return dd_err_set(err,
                                  "instruction %u: channel %u: bad requantization (%d, %d, %d)", i,
                                  c, m, mn, s);
        }
        return 0;
    }
    case DD_ISA_POOL: {
        uint32_t oh, ow;
        if (in->kh == 0 || in->kw == 0 || in->kh > 15 || in->kw > 15 ||
            conv_out(a->h, in->kh, in->stride_h, in->pad_top, in->pad_bottom, &oh) ||
            conv_out(a->w, in->kw, in->stride_w, in->pad_left, in->pad_right, &ow))
            return dd_err_set(err, "instruction %u: bad pooling window", i);
        if (in->pad_top >= in->kh || in->pad_bottom >= in->kh || in->pad_left >= in->kw ||
            in->pad_right >= in->kw)
            return dd_err_set(err,
                              "instruction %u: pooling padding must be smaller than the window", i);
        if (o->h != oh || o->w != ow || o->c != a->c || o->zero_point != a->zero_point)
            return dd_err_set(err, "instruction %u: pooling output shape or zero point mismatch",
                              i);
        return 0;
    }
    case DD_ISA_ADD:
        if (o->h != a->h || o->w != a->w || o->c != a->c)
            return dd_err_set(err, "instruction %u: ADD output shape differs from input", i);
        if (b && (b->h != a->h || b->w != a->w || b->c > a->c))
            return dd_err_set(err, "instruction %u: ADD second input shape", i);
        if (in->shift < 1 || in->shift > 40 || (!b && in->m1 != 0))
            return dd_err_set(err, "instruction %u: ADD shift %d out of [1, 40]", i, in->shift);
        return 0;
    case DD_ISA_UPSAMPLE:
    case DD_ISA_D2S: {
        uint32_t cdiv = in->opcode == DD_ISA_D2S ? 4 : 1;
        if (o->h != 2u * a->h || o->w != 2u * a->w || o->c * cdiv != a->c ||
            o->zero_point != a->zero_point)
            return dd_err_set(err, "instruction %u: 2x output shape or zero point mismatch", i);
        return 0;
    }
    case DD_ISA_LUT:
        if (o->h != a->h || o->w != a->w || o->c != a->c)
            return dd_err_set(err, "instruction %u: LUT output shape differs", i);
        return blob_range(p, i, "table", in->weights, 256, 1, err);
    case DD_ISA_INPUT:
        if (o->c != 3) return dd_err_set(err, "instruction %u: INPUT output needs 3 channels", i);
        if (in->m0 < 0 || in->m0 > 255)
            return dd_err_set(err, "instruction %u: pad pixel %d", i, in->m0);
        return blob_range(p, i, "normalisation", in->quant, 48, 8, err);
    default:
        return dd_err_set(err, "instruction %u: unknown opcode", i);
    }
}

/* ---- metadata ------------------------------------------------------------ */

/* A shape extent from the metadata: an integer in [0, 2^31) (a double outside int64 is not cast).
 */
static int json_dim(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < 2147483648.0) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int parse_meta(struct dd_pkg *p, struct dd_err *err)
{
    cJSON *j = cJSON_Parse(p->meta_json);
    if (!j) return dd_err_set(err, "metadata is not valid JSON");
    struct dd_pkg_meta *m = &p->meta;
    memset(m, 0, sizeof(*m));
    int rc = -1;
    const cJSON *fam = cJSON_GetObjectItem(j, "family"), *in = cJSON_GetObjectItem(j, "input");
    const cJSON *outs = cJSON_GetObjectItem(j, "outputs"), *wb = cJSON_GetObjectItem(j, "wbits");
    if (!cJSON_IsString(fam) || strlen(fam->valuestring) >= sizeof(m->family) ||
        !cJSON_IsObject(in) || !cJSON_IsArray(outs) || !cJSON_IsNumber(wb)) {
        dd_err_set(err, "metadata lacks family, input, outputs or wbits");
        goto out;
    }
    strcpy(m->family, fam->valuestring);
    m->wbits = wb->valueint;
    const cJSON *t = cJSON_GetObjectItem(in, "tensor"), *bgr = cJSON_GetObjectItem(in, "bgr");
    const cJSON *mean = cJSON_GetObjectItem(in, "mean"), *std = cJSON_GetObjectItem(in, "std");
    const cJSON *pad = cJSON_GetObjectItem(in, "pad_pixel");
    if (!cJSON_IsNumber(t) || t->valueint < 0 || (uint32_t)t->valueint >= p->n_tensors ||
        !cJSON_IsBool(bgr) || cJSON_GetArraySize(mean) != 3 || cJSON_GetArraySize(std) != 3 ||
        !cJSON_IsNumber(pad)) {
        dd_err_set(err, "metadata input: bad tensor, bgr, mean, std or pad_pixel");
        goto out;
    }
    m->input_tensor = t->valueint;
    const cJSON *ish = cJSON_GetObjectItem(in, "shape"), *d0;
    if (!cJSON_IsArray(ish) || cJSON_GetArraySize(ish) != 4) {
        dd_err_set(err, "metadata input: shape must have 4 dimensions");
        goto out;
    }
    cJSON_ArrayForEach(d0, ish)
    {
        if (json_dim(d0, &m->input_shape.d[m->input_shape.rank++]) != 0) {
            dd_err_set(err, "metadata input: shape extents must be integers in [0, 2^31)");
            goto out;
        }
    }
    const struct dd_isa_tensor *it = &p->tensors[m->input_tensor];
    if (dd_shape_count(&m->input_shape) != (int64_t)it->h * it->w * it->c || it->c != 3) {
        dd_err_set(err, "metadata input: shape does not match tensor %d", m->input_tensor);
        goto out;
    }
    m->input_bgr = cJSON_IsTrue(bgr);
    m->pad_pixel = pad->valueint;
    for (int c = 0; c < 3; c++) {
        m->mean[c] = (float)cJSON_GetArrayItem(mean, c)->valuedouble;
        m->std[c] = (float)cJSON_GetArrayItem(std, c)->valuedouble;
        if (!(m->std[c] > 0)) {
            dd_err_set(err, "metadata input: std must be positive");
            goto out;
        }
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, outs)
    {
        if (m->n_outputs == DD_PKG_MAX_OUTPUTS) {
            dd_err_set(err, "metadata: too many outputs");
            goto out;
        }
        struct dd_pkg_output *po = &m->outputs[m->n_outputs++];
        const cJSON *nm = cJSON_GetObjectItem(o, "name"), *ti = cJSON_GetObjectItem(o, "tensor");
        const cJSON *sh = cJSON_GetObjectItem(o, "shape");
        if (!cJSON_IsString(nm) || strlen(nm->valuestring) >= sizeof(po->name) ||
            !cJSON_IsNumber(ti) || ti->valueint < 0 || (uint32_t)ti->valueint >= p->n_tensors ||
            !cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > DD_MAX_RANK) {
            dd_err_set(err, "metadata output %d: bad name, tensor or shape", m->n_outputs - 1);
            goto out;
        }
        strcpy(po->name, nm->valuestring);
        po->tensor = ti->valueint;
        const cJSON *d;
        cJSON_ArrayForEach(d, sh)
        {
            if (json_dim(d, &po->shape.d[po->shape.rank++]) != 0) {
                dd_err_set(err, "metadata output '%s': shape extents must be integers in [0, 2^31)",
                           po->name);
                goto out;
            }
        }
        const struct dd_isa_tensor *dt = &p->tensors[po->tensor];
        if (dd_shape_count(&po->shape) != (int64_t)dt->h * dt->w * dt->c) {
            dd_err_set(err, "metadata output '%s': shape does not match tensor %d", po->name,
                       po->tensor);
            goto out;
        }
    }
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

/* ---- parse / serialise ---------------------------------------------------- */

void dd_pkg_destroy(struct dd_pkg *p)
{
    if (!p) return;
    free(p->tensors);
    free(p->insns);
    free(p->blob);
    free(p->meta_json);
    free(p);
}

static int validate(struct dd_pkg *p, struct dd_err *err)
{
    if (p->n_tensors == 0 || p->n_insns == 0) return dd_err_set(err, "empty program");
    for (uint32_t i = 0; i < p->n_tensors; i++)
        if (check_tensor(p, i, err) != 0) return -1;
    for (uint32_t i = 0; i < p->n_insns; i++)
        if (dd_pkg_check_insn(p, i, err) != 0) return -1;
    return parse_meta(p, err);
}

static int section(const struct dd_pkg_header *h, uint64_t off, uint64_t size, uint64_t align,
                   const char *what, struct dd_err *err)
{
    if (off < DD_PKG_HEADER_SIZE || off % align || off > h->file_size || size > h->file_size - off)
        return dd_err_set(err, "%s section [%llu, +%llu) outside the file or misaligned", what,
                          (unsigned long long)off, (unsigned long long)size);
    return 0;
}

int dd_pkg_parse(const uint8_t *data, size_t len, struct dd_pkg **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_pkg_header h;
    if (len < sizeof(h)) return dd_err_set(err, "not a model package (only %zu bytes)", len);
    memcpy(&h, data, sizeof(h));
    if (memcmp(h.magic, DD_PKG_MAGIC, 8) != 0)
        return dd_err_set(err, "not a model package (bad magic)");
    if (h.major != DD_ISA_VERSION_MAJOR)
        return dd_err_set(err, "package format %u.%u is not supported (this build reads %d.x)",
                          h.major, h.minor, DD_ISA_VERSION_MAJOR);
    if (h.file_size != len)
        return dd_err_set(err, "package says %llu bytes, file has %zu (truncated?)",
                          (unsigned long long)h.file_size, len);
    if (dd_crc32(data + sizeof(h), len - sizeof(h)) != h.crc32)
        return dd_err_set(err, "package checksum mismatch (corrupted)");
    if (h.n_tensors > 65535 || h.n_insns > 1000000 || h.arena_size == 0 ||
        h.arena_size > (1u << 30) || h.meta_size > (1u << 20))
        return dd_err_set(err, "package counts out of range");
    if (section(&h, h.tensors_off, (uint64_t)h.n_tensors * sizeof(struct dd_isa_tensor), 8,
                "tensor", err) ||
        section(&h, h.insns_off, (uint64_t)h.n_insns * sizeof(struct dd_isa_insn), 8, "program",
                err) ||
        section(&h, h.blob_off, h.blob_size, 8, "blob", err) ||
        section(&h, h.meta_off, h.meta_size, 1, "metadata", err))
        return -1;
    struct dd_pkg *p = calloc(1, sizeof(*p));
    if (!p) return dd_err_set(err, "out of memory");
    p->major = h.major;
    p->minor = h.minor;
    p->arena_size = h.arena_size;
    p->n_tensors = h.n_tensors;
    p->n_insns = h.n_insns;
    p->blob_size = h.blob_size;
    p->tensors = malloc(h.n_tensors * sizeof(*p->tensors) + 1);
    p->insns = malloc(h.n_insns * sizeof(*p->insns) + 1);
    p->blob = malloc(h.blob_size + 8);
    p->meta_json = malloc(h.meta_size + 1);
    if (!p->tensors || !p->insns || !p->blob || !p->meta_json) {
        dd_pkg_destroy(p);
        return dd_err_set(err, "out of memory");
    }
    memcpy(p->tensors, data + h.tensors_off, h.n_tensors * sizeof(*p->tensors));
    memcpy(p->insns, data + h.insns_off, h.n_insns * sizeof(*p->insns));
    memcpy(p->blob, data + h.blob_off, h.blob_size);
    memcpy(p->meta_json, data + h.meta_off, h.meta_size);
    p->meta_json[h.meta_size] = '\0';
    if (validate(p, err) != 0) {
        dd_pkg_destroy(p);
        return -1;
    }
    *out = p;
    return 0;
}

int dd_pkg_load(const char *path, struct dd_pkg **out, struct dd_err *err)
{
    char *data;
    size_t len;
    if (dd_file_read(path, DD_PKG_MAX_BYTES, &data, &len, err) != 0) return -1;
    int rc = dd_pkg_parse((const uint8_t *)data, len, out, err);
    free(data);
    return rc == 0 ? 0 : dd_err_prefix(err, "%s", path);
}

static uint64_t align8(uint64_t v)
{
    return (v + 7) & ~(uint64_t)7;
}

int dd_pkg_serialize(const struct dd_pkg *p, uint8_t **data, size_t *len, struct dd_err *err)
{
    struct dd_pkg check = *p;
    check.meta = (struct dd_pkg_meta){0};
    if (validate(&check, err) != 0)
        return dd_err_prefix(err, "refusing to write an invalid package");
    struct dd_pkg_header h = {0};
    memcpy(h.magic, DD_PKG_MAGIC, 8);
    h.major = DD_ISA_VERSION_MAJOR;
    h.minor = DD_ISA_VERSION_MINOR;
    h.n_tensors = p->n_tensors;
    h.n_insns = p->n_insns;
    h.arena_size = p->arena_size;
    h.tensors_off = DD_PKG_HEADER_SIZE;
    h.insns_off = align8(h.tensors_off + p->n_tensors * sizeof(struct dd_isa_tensor));
    h.blob_off = align8(h.insns_off + p->n_insns * sizeof(struct dd_isa_insn));
    h.blob_size = p->blob_size;
    h.meta_off = align8(h.blob_off + p->blob_size);
    h.meta_size = strlen(p->meta_json);
    h.file_size = h.meta_off + h.meta_size;
    uint8_t *buf = calloc(1, h.file_size);
    if (!buf) return dd_err_set(err, "out of memory");
    memcpy(buf + h.tensors_off, p->tensors, p->n_tensors * sizeof(struct dd_isa_tensor));
    memcpy(buf + h.insns_off, p->insns, p->n_insns * sizeof(struct dd_isa_insn));
    memcpy(buf + h.blob_off, p->blob, p->blob_size);
    memcpy(buf + h.meta_off, p->meta_json, h.meta_size);
    h.crc32 = dd_crc32(buf + sizeof(h), h.file_size - sizeof(h));
    memcpy(buf, &h, sizeof(h));
    *data = buf;
    *len = h.file_size;
    return 0;
}

int dd_pkg_write(const struct dd_pkg *p, const char *path, struct dd_err *err)
{
    uint8_t *data;
    size_t len;
    if (dd_pkg_serialize(p, &data, &len, err) != 0) return -1;
    int rc = dd_file_write(path, data, len, err);
    free(data);
    return rc;
}
