/* The golden model's instructions against hand-computed integer results. */
#include <criterion/criterion.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/qdetector.h"
#include "isa/isa_input.h"

static struct dd_isa_tensor T[8];
static struct dd_isa_insn I;
static uint8_t blob[4096];
static int8_t arena[4096];
static struct dd_pkg P;

static void reset(void)
{
    memset(T, 0, sizeof(T));
    memset(&I, 0, sizeof(I));
    memset(blob, 0, sizeof(blob));
    memset(arena, 0, sizeof(arena));
    memset(&P, 0, sizeof(P));
    P.tensors = T;
    P.insns = &I;
    P.n_insns = 1;
    P.blob = blob;
    P.blob_size = sizeof(blob);
    P.arena_size = sizeof(arena);
    I.in1 = DD_ISA_NO_TENSOR;
    I.clamp_min = -128, I.clamp_max = 127;
}
TestSuite(golden, .init = reset);

static void tensor(int i, uint32_t off, int h, int w, int c, int zp)
{
    T[i] = (struct dd_isa_tensor){off,         (uint16_t)h, (uint16_t)w, (uint16_t)c,
                                  (uint16_t)c, zp,          1.0f,        0};
    if ((uint32_t)i + 1 > P.n_tensors) P.n_tensors = (uint32_t)i + 1;
}

static void put32(uint32_t off, const int32_t *v, int n)
{
    memcpy(blob + off, v, (size_t)n * 4);
}

static void check(void)
{
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_check_insn(&P, 0, &err), 0, "instruction invalid: %s", err.msg);
}

Test(golden, requant_rounds_half_up)
{
    cr_assert_eq(dd_isa_requant(3, 1 << 30, 0), 2);   /* 1.5 */
    cr_assert_eq(dd_isa_requant(-3, 1 << 30, 0), -1); /* -1.5 */
    cr_assert_eq(dd_isa_requant(5, 1 << 30, 1), 1);   /* 1.25 */
    cr_assert_eq(dd_isa_requant(21, 1 << 30, -1), 21);
    cr_assert_eq(dd_isa_requant(-1000000, (1 << 30) + 12345, 10), -488); /* -488.28 */
}

static void conv1x1(int wbits, int leaky)
{
    tensor(0, 0, 1, 1, 2, 1);  /* input */
    tensor(1, 64, 1, 1, 2, 0); /* output */
    arena[0] = 3, arena[1] = -2;
    I.opcode = DD_ISA_CONV;
    I.kh = I.kw = 1, I.stride_h = I.stride_w = 1, I.wbits = (uint8_t)wbits;
    I.in0 = 0, I.out = 1;
    I.flags = leaky ? DD_ISA_F_LEAKY : 0;
    if (wbits == 8) {
        int8_t w[4] = {2, 1, -1, 4};
        memcpy(blob, w, 4);
    } else {
        blob[0] = 0x12, blob[1] = 0x4f; /* low nibble first: {2, 1}, {-1, 4} */
    }
    I.weights = 0, I.bias = 64, I.quant = 128;
    put32(64, (int32_t[]){10, 0}, 2);
    put32(128, (int32_t[]){1 << 30, leaky ? 1 << 28 : 0, 0, 1 << 30, leaky ? 1 << 28 : 0, 0}, 6);
    check();
    dd_golden_insn(&P, 0, arena, NULL);
}

Test(golden, conv_1x1_int8)
{
    conv1x1(8, 0);
    cr_assert_eq(arena[64], 7);  /* (10 + 6 - 2) / 2 */
    cr_assert_eq(arena[65], -5); /* (-3 - 8) / 2 = -5.5, rounds half up */
}

Test(golden, conv_1x1_int4_matches_int8)
{
    conv1x1(4, 0);
    cr_assert_eq(arena[64], 7);
    cr_assert_eq(arena[65], -5);
}

Test(golden, conv_leaky_uses_negative_multiplier)
{
    conv1x1(8, 1);
    cr_assert_eq(arena[64], 7);
    cr_assert_eq(arena[65],
                 -1); /* negative accumulator: m_neg = 2^28 is 1/8: -11/8 = -1.375 -> -1 */
}

Test(golden, conv_padding_reads_the_zero_point)
{
    tensor(0, 0, 1, 1, 1, 2);
    tensor(1, 64, 1, 1, 1, 0);
    arena[0] = 5;
    I.opcode = DD_ISA_CONV, I.kh = I.kw = 3, I.stride_h = I.stride_w = 1, I.wbits = 8;
    I.pad_top = I.pad_left = I.pad_bottom = I.pad_right = 1;
    I.in0 = 0, I.out = 1;
    memset(blob, 1, 9);
    I.weights = 0, I.bias = 64, I.quant = 128;
    put32(64, (int32_t[]){0}, 1);
    put32(128, (int32_t[]){1 << 30, 0, -1}, 3); /* multiplier 1.0 */
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_eq(arena[64], 5 + 8 * 2);
}

Test(golden, conv_fused_pool_and_relu_clamp)
{
    tensor(0, 0, 2, 2, 1, 0);
    tensor(1, 64, 1, 1, 1, 0);
    arena[0] = -7, arena[1] = 3, arena[2] = 9, arena[3] = -1;
    I.opcode = DD_ISA_CONV, I.kh = I.kw = 1, I.stride_h = I.stride_w = 1, I.wbits = 8;
    I.flags = DD_ISA_F_POOL2X2;
    I.in0 = 0, I.out = 1;
    blob[0] = 1;
    I.weights = 0, I.bias = 64, I.quant = 128;
    put32(128, (int32_t[]){1 << 30, 0, -1}, 3);
    I.clamp_min = 0, I.clamp_max = 5;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_eq(arena[64], 5); /* max(9, ...) clamped to 5 */
}

Test(golden, avg_pool_rounds_half_up_for_both_signs)
{
    tensor(0, 0, 2, 2, 2, 0);
    tensor(1, 64, 1, 1, 2, 0);
    int8_t x[8] = {1, -1, 2, -2, 3, -3, 5, -5};
    memcpy(arena, x, 8);
    I.opcode = DD_ISA_POOL, I.flags = DD_ISA_F_AVG, I.kh = I.kw = 2, I.stride_h = I.stride_w = 2;
    I.in0 = 0, I.out = 1;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_eq(arena[64], 3);  /* 2.75 */
    cr_assert_eq(arena[65], -3); /* -2.75 */
}

Test(golden, max_pool_ignores_padding)
{
    tensor(0, 0, 1, 2, 1, 0);
    tensor(1, 64, 1, 1, 1, 0);
    arena[0] = -100, arena[1] = -90;
    I.opcode = DD_ISA_POOL, I.kh = I.kw = 3, I.stride_h = I.stride_w = 2;
    I.pad_top = I.pad_bottom = I.pad_left = 1;
    I.in0 = 0, I.out = 1;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_eq(arena[64], -90);
}

Test(golden, add_rescales_both_operands)
{
    tensor(0, 0, 1, 1, 2, 2);
    tensor(1, 16, 1, 1, 1, 1); /* fewer channels: channel 1 takes only in0 */
    tensor(2, 32, 1, 1, 2, 3);
    arena[0] = 10, arena[1] = 10, arena[16] = 5;
    I.opcode = DD_ISA_ADD, I.in0 = 0, I.in1 = 1, I.out = 2;
    I.m0 = 1 << 19, I.m1 = 1 << 20, I.shift = 20;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_eq(arena[32], 3 + 4 + 4);
    cr_assert_eq(arena[33], 3 + 4);
}

Test(golden, bilinear_upsample_matches_half_pixel_taps)
{
    tensor(0, 0, 1, 2, 1, 0);
    tensor(1, 64, 2, 4, 1, 0);
    arena[0] = 0, arena[1] = 16;
    I.opcode = DD_ISA_UPSAMPLE, I.flags = DD_ISA_F_BILINEAR, I.in0 = 0, I.out = 1;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    int8_t want[8] = {0, 4, 12, 16, 0, 4, 12, 16};
    cr_assert_arr_eq(arena + 64, want, 8);
}

Test(golden, depth_to_space_and_lut)
{
    tensor(0, 0, 1, 1, 4, 0);
    tensor(1, 64, 2, 2, 1, 0);
    tensor(2, 128, 2, 2, 1, 0);
    int8_t x[4] = {1, 2, 3, 4};
    memcpy(arena, x, 4);
    I.opcode = DD_ISA_D2S, I.in0 = 0, I.out = 1;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    cr_assert_arr_eq(arena + 64, x, 4);
    for (int i = 0; i < 256; i++) blob[i] = (uint8_t)(int8_t)(127 - i);
    memset(&I, 0, sizeof(I));
    I.opcode = DD_ISA_LUT, I.in0 = 1, I.in1 = DD_ISA_NO_TENSOR, I.out = 2, I.weights = 0;
    I.clamp_min = -128, I.clamp_max = 127;
    check();
    dd_golden_insn(&P, 0, arena, NULL);
    for (int i = 0; i < 4; i++) cr_assert_eq(arena[128 + i], (int8_t)(127 - (x[i] + 128)));
}

static void input_insn(int bgr)
{
    tensor(0, 0, 4, 4, 3, 0);
    I.opcode = DD_ISA_INPUT, I.out = 0, I.in0 = DD_ISA_NO_TENSOR;
    I.flags = bgr ? DD_ISA_F_BGR : 0;
    I.quant = 0;
    int64_t nrm[6] = {65536,          65536,          65536,
                      -(128LL << 32), -(128LL << 32), -(128LL << 32)}; /* q = pix - 128 */
    memcpy(blob, nrm, sizeof(nrm));
    I.m0 = 0;
    check();
}

Test(golden, input_rgb_and_bgr)
{
    uint8_t rgb[2 * 2 * 3];
    for (int i = 0; i < 4; i++) rgb[3 * i] = 100, rgb[3 * i + 1] = 150, rgb[3 * i + 2] = 200;
    struct dd_isa_frame f = {DD_FRAME_RGB24, 2, 2, 6, 0, rgb, NULL};
    input_insn(0);
    struct dd_err err;
    cr_assert_eq(dd_golden_run(&P, arena, &f, &err), 0, "%s", err.msg);
    for (int p = 0; p < 16; p++) {
        cr_assert_eq(arena[3 * p], -28);
        cr_assert_eq(arena[3 * p + 1], 22);
        cr_assert_eq(arena[3 * p + 2], 72);
    }
    input_insn(1);
    dd_golden_insn(&P, 0, arena, &f);
    cr_assert_eq(arena[0], 72);
    cr_assert_eq(arena[2], -28);
}

Test(golden, input_nv12_yuyv_and_letterbox_padding)
{
    uint8_t y[4 * 2], uv[2 * 1 * 2], yuyv[4 * 2 * 2];
    memset(y, 128, sizeof(y));
    memset(uv, 128, sizeof(uv));
    memset(yuyv, 128, sizeof(yuyv));
    input_insn(0);
    struct dd_isa_frame nv12 = {DD_FRAME_NV12, 4, 2, 4, 4, y, uv};
    struct dd_err err;
    cr_assert_eq(dd_golden_run(&P, arena, &nv12, &err), 0, "%s", err.msg);
    /* 4x2 frame in a 4x4 tensor: rows 0 and 3 are padding (pixel 0), rows 1-2 grey 130 */
    cr_assert_eq(arena[0], -128);
    cr_assert_eq(arena[(1 * 4 + 0) * 3], 2);
    cr_assert_eq(arena[(2 * 4 + 3) * 3 + 2], 2);
    cr_assert_eq(arena[(3 * 4 + 3) * 3 + 1], -128);
    memset(arena, 0, 64);
    struct dd_isa_frame yv = {DD_FRAME_YUYV, 4, 2, 8, 0, yuyv, NULL};
    cr_assert_eq(dd_golden_run(&P, arena, &yv, &err), 0, "%s", err.msg);
    cr_assert_eq(arena[(1 * 4 + 1) * 3], 2);
    struct dd_isa_frame bad = {DD_FRAME_NV12, 4, 2, 4, 4, y, NULL};
    cr_assert_neq(dd_golden_run(&P, arena, &bad, &err), 0);
    cr_assert(strstr(err.msg, "UV plane"), "%s", err.msg);
}

Test(golden, invalid_instructions_are_rejected)
{
    struct dd_err err = {{0}};
    tensor(0, 0, 2, 2, 1, 0);
    tensor(1, 64, 2, 2, 1, 0);
    I.opcode = DD_ISA_UPSAMPLE, I.in0 = 0, I.out = 1; /* output must be 4x4 */
    cr_assert_neq(dd_pkg_check_insn(&P, 0, &err), 0);
    cr_assert(strstr(err.msg, "shape"), "%s", err.msg);
    I.opcode = 99;
    cr_assert_neq(dd_pkg_check_insn(&P, 0, &err), 0);
    cr_assert(strstr(err.msg, "opcode"), "%s", err.msg);
    I.opcode = DD_ISA_ADD, I.out = 1, I.shift = 20, I.in1 = 7;
    cr_assert_neq(dd_pkg_check_insn(&P, 0, &err), 0);
    cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
}

/* dd_isa_frame_from_image (a packed RGB image as an INPUT frame, accel/qdetector.h) and
 * dd_isa_frame_pixel_rgb (one pixel of a frame, isa/isa_input.h) once had one name with two
 * meanings: this file includes both headers and uses both. */
Test(isa_frame, an_image_frame_reads_back_its_pixels)
{
    uint8_t px[2 * 3 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    struct dd_image img = {3, 2, 9, px};
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    cr_assert_eq(f.format, DD_FRAME_RGB24);
    cr_assert_eq(f.width, 3);
    cr_assert_eq(f.height, 2);
    uint8_t rgb[3];
    dd_isa_frame_pixel_rgb(&f, 2, 1, rgb);
    cr_assert(rgb[0] == 16 && rgb[1] == 17 && rgb[2] == 18);
    dd_isa_frame_pixel_rgb(&f, 0, 0, rgb);
    cr_assert(rgb[0] == 1 && rgb[1] == 2 && rgb[2] == 3);
}
