// The execution unit of ISA 1.x (docs/ISA.md, accel/rtl/README.md): fetches
// instructions [first, first + count) from DRAM and runs each one layer at a
// time, output row by output row: the input rows a row needs are burst into
// a ring of on-chip row buffers (IBUF), the row is computed into an output
// buffer (OBUF, two halves) and burst back to the arena while the next row
// is loaded and computed. CONV runs on an OCT x 16-lane MAC array (OCT output
// channels at once; 16 int8 or 32 int4 input channels per cycle per row),
// with per-row requantization and the fused 2x2 max pool; depthwise uses one
// lane per row. POOL, ADD, UPSAMPLE, D2S and LUT run on a 16-lane vector
// unit; INPUT on a one-pixel-per-cycle frame sampler.
module dd_eu #(
    parameter OCT = 32,  // MAC array rows (output channels per pass): 4, 8, 16 or 32
    parameter MUL_DSP = 1,  // int8 products in DSPs (else fabric)
    parameter IB_AW = 12,  // IBUF words (16 bytes) address bits
    parameter WB_AW = 9,  // WBUF words per row address bits
    parameter OB_AW = 10,  // OBUF entries address bits (two halves)
    parameter FB_AW = 10  // frame row buffer words address bits
) (
    input clk,
    input rst,
    input start,
    output reg done,
    output idle,
    input [63:0] prog,
    input [63:0] blob,
    input [63:0] arena,
    input [63:0] frame,
    input [31:0] tensors_offset,
    input [31:0] first,
    input [31:0] count,
    input [31:0] f_format,
    input [31:0] f_width,
    input [31:0] f_height,
    input [31:0] f_stride,
    input [31:0] f_uv_offset,
    input [31:0] f_uv_stride,
    // read DMA: AXI4 read channels and the port (0 program, 1 blob, 2 arena, 3 frame)
    output [1:0] rd_port,
    output ar_valid,
    input ar_ready,
    output [63:0] ar_addr,
    output [7:0] ar_len,
    input r_valid,
    output r_ready,
    input [127:0] r_data,
    // write DMA: AXI4 write channels (arena)
    output aw_valid,
    input aw_ready,
    output [63:0] aw_addr,
    output [7:0] aw_len,
    output w_valid,
    input w_ready,
    output [127:0] w_data,
    output [15:0] w_strb,
    output w_last,
    input b_valid,
    output b_ready,
    // observation: the instruction running, a pulse when one starts
    output reg [31:0] insn_index,
    output reg insn_start
);
    localparam NW = OCT > 16 ? OCT / 16 : 1;  // OBUF words per entry
    localparam LNW = NW == 2 ? 1 : 0;

    // ---------------- read DMA and its destinations ----------------
    reg rd_cmd_valid;
    reg [63:0] rd_base;
    reg [31:0] rd_stride;
    reg [15:0] rd_len, rd_count, rd_dst, rd_dst_step;
    reg [1:0] rd_port_q, rd_port_next, rd_buf;  // destination: 0 PB, 1 IBUF, 2 WBUF, 3 FBUF
    reg rd_wait_all;
    wire rd_cmd_done;
    // commands accepted and completed, to wait for some of them (INPUT's double buffer)
    reg [15:0] rd_issued, rd_done;
    always @(posedge clk) begin
        if (rst) begin
            rd_issued <= 0;
            rd_done <= 0;
        end else begin
            if (rd_cmd_valid && rd_ready) rd_issued <= rd_issued + 16'd1;
            if (rd_cmd_done) rd_done <= rd_done + 16'd1;
        end
    end
    wire [1:0] dw_buf;
    wire rd_ready, rd_busy, dw_en;
    wire [15:0] dw_addr;
    wire [127:0] dw_data;
    assign rd_port = rd_port_q;
    dd_rd_dma rdma (
        .clk(clk),
        .rst(rst),
        .cmd_valid(rd_cmd_valid),
        .cmd_ready(rd_ready),
        .cmd_base(rd_base),
        .cmd_stride(rd_stride),
        .cmd_len(rd_len),
        .cmd_count(rd_count),
        .cmd_dst(rd_dst),
        .cmd_dst_step(rd_dst_step),
        .cmd_buf(rd_buf),
        .busy(rd_busy),
        .cmd_done(rd_cmd_done),
        .ar_valid(ar_valid),
        .ar_ready(ar_ready),
        .ar_addr(ar_addr),
        .ar_len(ar_len),
        .r_valid(r_valid),
        .r_ready(r_ready),
        .r_data(r_data),
        .wr_en(dw_en),
        .wr_buf(dw_buf),
        .wr_addr(dw_addr),
        .wr_data(dw_data)
    );

    // parameter block: instruction, tensor descriptors, biases and multipliers, LUT, INPUT norm
    reg [64*128-1:0] pb;
    always @(posedge clk) if (dw_en && dw_buf == 2'd0) pb[dw_addr[5:0]*128+:128] <= dw_data;
    function [7:0] pbb(input integer i);
        pbb = pb[i*8+:8];
    endfunction
    function [15:0] pb16(input integer i);
        pb16 = pb[i*8+:16];
    endfunction
    function [31:0] pb32(input integer i);
        pb32 = pb[i*8+:32];
    endfunction

    // ---------------- write DMA and OBUF ----------------
    reg wr_cmd_valid;
    reg [63:0] wr_base;
    reg [31:0] wr_stride;
    reg [15:0] wr_len, wr_count, wr_src, wr_src_step;
    wire wr_ready, wr_busy;
    wire [15:0] wsrc_addr;
    wire [127:0] wsrc_data;
    dd_wr_dma wdma (
        .clk(clk),
        .rst(rst),
        .cmd_valid(wr_cmd_valid),
        .cmd_ready(wr_ready),
        .cmd_base(wr_base),
        .cmd_stride(wr_stride),
        .cmd_len(wr_len),
        .cmd_count(wr_count),
        .cmd_src(wr_src),
        .cmd_src_step(wr_src_step),
        .busy(wr_busy),
        .src_addr(wsrc_addr),
        .src_data(wsrc_data),
        .aw_valid(aw_valid),
        .aw_ready(aw_ready),
        .aw_addr(aw_addr),
        .aw_len(aw_len),
        .w_valid(w_valid),
        .w_ready(w_ready),
        .w_data(w_data),
        .w_strb(w_strb),
        .w_last(w_last),
        .b_valid(b_valid),
        .b_ready(b_ready)
    );
    // OBUF: NW lanes of 16-byte words; word k is lane k % NW of entry k / NW
    reg ob_we;
    reg [OB_AW-1:0] ob_waddr;
    reg [NW-1:0] ob_wlane;
    reg [NW*128-1:0] ob_wdata;
    wire [NW*128-1:0] ob_rdata;
    reg [LNW:0] ob_rlane;
    genvar gl;
    generate
        for (gl = 0; gl < NW; gl = gl + 1) begin : oblane
            dd_mem #(128, OB_AW) m (
                clk,
                ob_we & ob_wlane[gl],
                ob_waddr,
                ob_wdata[gl*128+:128],
                wsrc_addr[OB_AW-1+LNW:LNW],
                ob_rdata[gl*128+:128]
            );
        end
    endgenerate
    always @(posedge clk) ob_rlane <= NW == 2 ? {1'b0, wsrc_addr[0]} : 0;
    assign wsrc_data = ob_rdata[ob_rlane*128+:128];

    // ---------------- instruction and tensors ----------------
    wire [7:0] op = pbb(0), fl = pbb(1), kh = pbb(2), kw = pbb(3), sh = pbb(4), sw = pbb(5);
    wire [7:0] pt = pbb(6), pl = pbb(7), wbits = pbb(10);
    wire [15:0] in0_i = pb16(12), in1_i = pb16(14), out_i = pb16(16);
    wire [31:0] i_weights = pb32(20), i_bias = pb32(24), i_quant = pb32(28);
    wire signed [31:0] i_m0 = pb32(32), i_m1 = pb32(36), i_shift = pb32(40);
    wire signed [31:0] cmin = pb32(44), cmax = pb32(48);
    // tensors: out at PB byte 64, in0 at 96, in1 at 128
    wire [31:0] o_off = pb32(64), a_off = pb32(96), b_off = pb32(128);
    wire [15:0] o_h = pb16(68), o_w = pb16(70), o_c = pb16(72), o_p = pb16(74);
    wire [15:0] a_h = pb16(100), a_w = pb16(102), a_c = pb16(104), a_p = pb16(106);
    wire [15:0] b_w = pb16(134), b_c = pb16(136), b_p = pb16(138);
    wire signed [31:0] o_zp = pb32(76), a_zp = pb32(108), b_zp = pb32(140);
    wire has_b = in1_i != 16'hffff;
    wire f_dw = fl[0], f_pool = fl[1], f_avg = fl[2], f_bil = fl[3], f_leaky = fl[4], f_bgr = fl[5];
    wire int4 = wbits == 8'd4;

    // ---------------- the main sequencer ----------------
    localparam S_IDLE = 6'd0, S_FETCH = 6'd1, S_DESC = 6'd2, S_DESC1 = 6'd3, S_DESC2 = 6'd4,
        S_DISPATCH = 6'd5, S_NEXT = 6'd6, S_DONE = 6'd7, S_RDW0 = 6'd8, S_RDW = 6'd9,
        C_TILE = 6'd10, C_WLOAD = 6'd11, C_BIAS = 6'd12, C_QUANT = 6'd13, C_PARAMS = 6'd14,
        R_ROW = 6'd15, R_LOAD = 6'd16, R_LOADB = 6'd17, R_RUN = 6'd18, R_DRAIN = 6'd19,
        R_WRITE = 6'd20, V_TAPS = 6'd21, P_RCP = 6'd22, L_COPY = 6'd23,
        I_DIV = 6'd25, I_DIVW = 6'd26, I_NORM = 6'd27, I_ROWLOAD = 6'd28, R_ROWNEXT = 6'd29,
        S_RDQ = 6'd30, R_WAITLD = 6'd31, I_CUR = 6'd32, I_PF = 6'd33, I_NEXT = 6'd34,
        I_WAIT = 6'd35;
    reg [5:0] st, st_ret;
    reg [31:0] pc, left;
    assign idle = st == S_IDLE;

    // per-instruction derived values
    reg [15:0] cw_a, cwp_a, cw4_a, cwp_b, cwo, row_words, steps, ngroups, gb, row_bytes;
    reg [31:0] a_rs, b_rs, o_rs;  // bytes per row of in0, in1, out (w * pitch)
    // packed mode (dense int8 CONV with kw * ic <= 16, unsliced input): input rows stored
    // as packed bytes, one MAC step per kernel row (kw taps x ic channels at once)
    reg pk;
    reg [15:0] ld_count, ld_len, ld_step, wgroups;
    reg [4:0] nslots;  // power of two
    // the ring of input rows: the largest power of two (<= 16) of rows that fits (CONV: all
    // of IBUF; the vector unit: half, ADD's second tensor in the other half)
    wire [31:0] ib_cap = op == 8'd1 ? (32'd1 << IB_AW) : (32'd1 << (IB_AW - 1));
    wire [31:0] rw32 = {16'd0, row_words};
    wire [4:0] nslots_fit = rw32 * 16 <= ib_cap ? 5'd16 : rw32 * 8 <= ib_cap ? 5'd8 :
        rw32 * 4 <= ib_cap ? 5'd4 : rw32 * 2 <= ib_cap ? 5'd2 : 5'd1;
    reg [1:0] pool;
    reg [15:0] oc0, nrows, py;
    reg signed [17:0] lo_row, hi_row;  // input rows the current output row needs
    reg signed [17:0] loaded_hi;
    reg half;

    // per-row requantization parameters
    reg signed [31:0] r_bias[0:OCT-1], r_m[0:OCT-1], r_mn[0:OCT-1], r_s[0:OCT-1];

    // IBUF
    wire ib_we = dw_en && dw_buf == 2'd1;
    reg [IB_AW-1:0] ib_raddr;
    wire [255:0] ib_rdata;
    dd_pairmem #(IB_AW) ibuf (
        clk,
        ib_we,
        dw_addr[IB_AW-1:0],
        dw_data,
        ib_raddr,
        ib_rdata
    );
    // WBUF: one memory per MAC row
    reg [WB_AW-1:0] wb_raddr;
    wire [OCT*128-1:0] wb_rdata;
    genvar gr;
    generate
        for (gr = 0; gr < OCT; gr = gr + 1) begin : wrow
            dd_mem #(128, WB_AW) m (
                clk,
                dw_en && dw_buf == 2'd2 && dw_addr[15:WB_AW] == gr,
                dw_addr[WB_AW-1:0],
                dw_data,
                wb_raddr,
                wb_rdata[gr*128+:128]
            );
        end
    endgenerate
    // FBUF: four frame row buffers (plane rows y0, y1; NV12 UV rows of y0, y1), each with two
    // sets (the row being sampled, the next one loading) as its top address bit
    reg [FB_AW-1:0] fb_raddr[0:3];
    wire [255:0] fb_rdata[0:3];
    reg fset;
    genvar gf;
    generate
        for (gf = 0; gf < 4; gf = gf + 1) begin : fbuf
            dd_pairmem #(FB_AW + 1) m (
                clk,
                dw_en && dw_buf == 2'd3 && dw_addr[FB_AW+1:FB_AW] == gf,
                {dw_addr[FB_AW+2], dw_addr[FB_AW-1:0]},
                dw_data,
                {fset, fb_raddr[gf]},
                fb_rdata[gf]
            );
        end
    endgenerate

    // ---------------- CONV issue loop ----------------
    reg c_run;
    reg [15:0] px, g;
    reg [7:0] ky, kx;
    reg [15:0] s;
    reg [1:0] sub;
    wire [1:0] npts = pool == 2'd2 ? 2'd3 : 2'd0;  // sub-points - 1
    wire last_s = s == steps - 16'd1;
    wire last_kx = pk || kx == kw - 8'd1;
    wire last_ky = ky == kh - 8'd1;
    wire last_sub = sub == npts;
    wire last_px = px == o_w - 16'd1;
    wire c_first = ky == 0 && kx == 0 && s == 0;
    wire c_last = last_s && last_kx && last_ky;
    wire signed [17:0] cy = $signed({2'd0, py}) * $signed({16'd0, pool}) + (pool == 2'd2 ? sub[1] : 1'b0);
    wire signed [17:0] cx = $signed({2'd0, px}) * $signed({16'd0, pool}) + (pool == 2'd2 ? sub[0] : 1'b0);
    wire signed [17:0] iy = cy * $signed({10'd0, sh}) + $signed({10'd0, ky}) - $signed({10'd0, pt});
    wire signed [17:0] ix = cx * $signed({10'd0, sw}) + $signed({10'd0, kx}) - $signed({10'd0, pl});
    wire iy_in = iy >= 0 && iy < $signed({2'd0, a_h});
    wire c_inside = iy_in && (pk || (ix >= 0 && ix < $signed({2'd0, a_w})));
    // packed mode: the kernel row's bytes start at byte ix * ic of the packed row
    wire signed [21:0] pk_b0 = ix * $signed({6'd0, a_c});
    wire [15:0] pk_word = pk_b0 < 0 ? 16'd0 : pk_b0[19:4];
    wire signed [5:0] pk_sh = pk_b0 < 0 ? (pk_b0 < -22'sd16 ? -6'sd16 : pk_b0[5:0]) :
        {2'd0, pk_b0[3:0]};
    reg [15:0] pk_mask;  // the lanes whose tap lies inside the row
    genvar gp;
    generate
        for (gp = 0; gp < 16; gp = gp + 1) begin : pklane
            // packed mode has ic <= 16: the lane's tap gp / ic is a function of the 5 bits of
            // ic, a table of constants (no divider)
            reg [4:0] tap;
            integer d;
            always @(*) begin
                tap = gp;
                for (d = 2; d <= 16; d = d + 1) if (a_c[4:0] == d) tap = gp / d;
            end
            wire signed [17:0] x = ix + $signed({13'd0, tap});
            always @(*) pk_mask[gp] = x >= 0 && x < $signed({2'd0, a_w});
        end
    endgenerate
    wire [4:0] slot_of_iy = iy[4:0] & (nslots - 5'd1);
    wire [15:0] dw_pair = {oc0[15:5], 5'd0} >> 4;
    wire [31:0] c_ibaddr = pk ? slot_of_iy * row_words + pk_word :
        slot_of_iy * row_words + ix[15:0] * cwp_a + (f_dw ? dw_pair : (int4 ? {s[14:0], 1'b0} : s));
    wire [31:0] c_wbaddr = f_dw ? (int4 ? {5'd0, g[15:5]} : {4'd0, g[15:4]}) : g * steps + s;
    // pipeline: 1 address, 2 memory data, 3 operands registered, 4 products, 5 row sums,
    // 6 accumulate
    reg v1, v2, v3, v4, f1, f2, f3, f4, l1, l2, l3, l4, in1;
    reg signed [5:0] pksh1;
    reg [15:0] pkm1;
    reg [15:0] px1, px2, px3, px4;
    reg [1:0] sb1, sb2, sb3, sb4;
    reg [4:0] dsel1;
    reg dnib1;
    always @(posedge clk) begin
        v1 <= c_run;
        f1 <= c_first;
        l1 <= c_last;
        in1 <= c_inside;
        pksh1 <= pk_sh;
        pkm1 <= pk_mask;
        px1 <= px;
        sb1 <= sub;
        dsel1 <= int4 ? g[5:1] : {1'b0, g[3:0]};
        dnib1 <= g[0];
        v2 <= v1;
        f2 <= f1;
        l2 <= l1;
        px2 <= px1;
        sb2 <= sb1;
        v3 <= v2;
        f3 <= f2;
        l3 <= l2;
        px3 <= px2;
        sb3 <= sb2;
        v4 <= v3;
        f4 <= f3;
        l4 <= l3;
        px4 <= px3;
        sb4 <= sb3;
    end
    wire [7:0] zp8 = a_zp[7:0];
    // packed mode: the window shifted to the kernel row's first byte (left of the row:
    // shifted right), lanes outside the row read the zero point
    wire [255:0] pk_win = pksh1 < 0 ? ib_rdata << ({2'd0, -pksh1} * 8) :
        ib_rdata >> ({2'd0, pksh1} * 8);
    reg [255:0] pk_act;
    integer pj;
    always @(*) begin
        pk_act = {32{zp8}};
        for (pj = 0; pj < 16; pj = pj + 1)
            if (pkm1[pj] && in1) pk_act[pj*8+:8] = pk_win[pj*8+:8];
    end
    wire [255:0] act = pk ? pk_act : (in1 ? ib_rdata : {32{zp8}});
    reg [127:0] a0_d, a1_d;
    integer li;
    always @(*) begin
        for (li = 0; li < 16; li = li + 1) begin
            a0_d[li*8+:8] = int4 ? act[li*16+:8] : act[li*8+:8];
            a1_d[li*8+:8] = act[li*16+8+:8];
        end
    end
    wire [127:0] a0_dw = f_dw ? 128'd0 : a0_d, a1_dw = f_dw ? 128'd0 : a1_d;
    wire signed [21:0] rsum[0:OCT-1];
    reg signed [31:0] acc[0:OCT-1];
    reg pv;  // a point's accumulators are complete
    reg [15:0] ppx;
    reg [1:0] psb;
    genvar gm;
    generate
        for (gm = 0; gm < OCT; gm = gm + 1) begin : mac
            wire [4:0] abyte = oc0[4:0] + gm;
            wire [7:0] dw_a = act[abyte*8+:8];
            wire [7:0] wbyte = wb_rdata[gm*128+dsel1*8+:8];
            wire [7:0] dw_w = int4 ? {4'd0, dnib1 ? wbyte[7:4] : wbyte[3:0]} : wbyte;
            // depthwise: lane 0 only (the other lanes' activations are zero, shared by the
            // rows; their weights do not matter)
            wire [127:0] ra0 = {a0_dw[127:8], f_dw ? dw_a : a0_d[7:0]};
            wire [127:0] rw = {wb_rdata[gm*128+8+:120], f_dw ? dw_w : wb_rdata[gm*128+:8]};
            dd_mac_row #(MUL_DSP) row (
                clk,
                int4,
                ra0,
                a1_dw,
                rw,
                rsum[gm]
            );
            wire signed [31:0] nacc = (f4 ? r_bias[gm] : acc[gm]) + {{10{rsum[gm][21]}}, rsum[gm]};
            always @(posedge clk) if (v4) acc[gm] <= nacc;
        end
    endgenerate
    always @(posedge clk) begin
        pv <= v4 && l4;
        ppx <= px4;
        psb <= sb4;
    end
    // requantization and the fused 2x2 max pool
    wire [OCT-1:0] qv;
    wire signed [31:0] qo[0:OCT-1];
    reg [15:0] qpx[0:4];
    reg [1:0] qsb[0:4];
    integer qi;
    always @(posedge clk) begin
        qpx[0] <= ppx;
        qsb[0] <= psb;
        for (qi = 1; qi < 5; qi = qi + 1) begin
            qpx[qi] <= qpx[qi-1];
            qsb[qi] <= qsb[qi-1];
        end
    end
    reg signed [31:0] best[0:OCT-1];
    reg [OCT*8-1:0] cvec;
    generate
        for (gm = 0; gm < OCT; gm = gm + 1) begin : rq
            dd_requant u (
                clk,
                pv,
                acc[gm],
                r_m[gm],
                r_mn[gm],
                r_s[gm],
                f_leaky,
                o_zp,
                cmin,
                cmax,
                qv[gm],
                qo[gm]
            );
            wire signed [31:0] nb = (qsb[4] == 2'd0 || qo[gm] > best[gm]) ? qo[gm] : best[gm];
            always @(posedge clk) if (qv[0]) best[gm] <= nb;
            always @(*) cvec[gm*8+:8] = nb[7:0];
        end
    endgenerate
    wire c_out = qv[0] && qsb[4] == npts;

    // ---------------- vector unit (POOL, ADD, UPSAMPLE, D2S, LUT) ----------------
    reg [15:0] vt, ntaps;  // tap being issued, taps per word
    reg [15:0] vx, vs;  // output pixel, output word
    reg vi1, vl1, vin1;
    reg [3:0] vsh1;
    reg [15:0] vt1;
    reg [7:0] vky, vkx;  // POOL tap
    reg signed [47:0] vacc[0:15];
    reg [15:0] vn;  // POOL taps inside the window
    reg [15:0] rcp_n;
    reg [15:0] vy0, vy1, vx0, vx1;  // UPSAMPLE taps
    wire [15:0] y_half = py >> 1;
    wire [15:0] x_half = vx >> 1;
    always @(*) begin
        vy0 = y_half;
        vx0 = x_half;
        vy1 = py[0] ? (y_half + 16'd1 > a_h - 16'd1 ? a_h - 16'd1 : y_half + 16'd1) :
            (y_half == 16'd0 ? 16'd0 : y_half - 16'd1);
        vx1 = vx[0] ? (x_half + 16'd1 > a_w - 16'd1 ? a_w - 16'd1 : x_half + 16'd1) :
            (x_half == 16'd0 ? 16'd0 : x_half - 16'd1);
    end
    // the tap's input position and byte offset
    reg signed [17:0] vty, vtx;
    reg [15:0] vchan;  // first input channel of the word
    reg vtb;  // ADD: tap from the second tensor
    always @(*) begin
        vty = $signed({2'd0, py});
        vtx = $signed({2'd0, vx});
        vchan = {vs[11:0], 4'd0};
        vtb = 1'b0;
        case (op)
            8'd2: begin  // POOL
                vty = $signed({2'd0, py}) * $signed({10'd0, sh}) - $signed({10'd0, pt}) +
                    $signed({10'd0, vky});
                vtx = $signed({2'd0, vx}) * $signed({10'd0, sw}) - $signed({10'd0, pl}) +
                    $signed({10'd0, vkx});
            end
            8'd3: vtb = vt[0];  // ADD
            8'd4: begin  // UPSAMPLE
                vty = $signed({2'd0, (f_bil && vt[1]) ? vy1 : vy0});
                vtx = $signed({2'd0, (f_bil && vt[0]) ? vx1 : vx0});
            end
            8'd5: begin  // D2S
                vty = $signed({2'd0, y_half});
                vtx = $signed({2'd0, x_half});
                vchan = {14'd0, py[0], vx[0]} * o_c + {vs[11:0], 4'd0};
            end
            default: ;
        endcase
    end
    wire v_inside = vty >= 0 && vtx >= 0 && vty < $signed({2'd0, a_h}) && vtx < $signed({2'd0, a_w});
    wire [4:0] vslot = vty[4:0] & (nslots - 5'd1);
    wire [31:0] v_ibaddr = vtb ? (32'd1 << (IB_AW - 1)) + vtx[15:0] * cwp_b + vs :
        vslot * row_words + vtx[15:0] * cwp_a + {20'd0, vchan[15:4]};
    // pipeline: 0 issue (a tap per cycle), 1 memory data (the lanes' tap), 2 product,
    // 3 accumulate, 3..6 finish, 7 the word -> OBUF (dd_vlane)
    wire v_issue = st == V_TAPS;
    wire v_last_tap = vt == ntaps - 16'd1;
    wire [15:0] vn_word = (vt == 0 ? 16'd0 : vn) + ((op == 8'd2 && v_inside) ? 16'd1 : 16'd0);
    reg [7:2] vl;  // the word's last tap at stage k
    reg [15:0] vpx1, vws1, vn1, vn2, vn3;
    reg [15:0] vpx[2:6], vws[2:6];
    reg [OB_AW-1+LNW:0] v_obw;  // the OBUF word of the word at stage 7
    integer vk;
    always @(posedge clk) begin
        vi1 <= v_issue;
        vl1 <= v_issue && v_last_tap;
        vin1 <= v_inside;
        vsh1 <= vchan[3:0];
        vt1 <= vt;
        vpx1 <= vx;
        vws1 <= vs;
        vn1 <= vn_word;
        vn2 <= vn1;
        vn3 <= vn2;
        vl[2] <= vl1;
        vpx[2] <= vpx1;
        vws[2] <= vws1;
        for (vk = 3; vk <= 7; vk = vk + 1) vl[vk] <= vl[vk-1];
        for (vk = 3; vk <= 6; vk = vk + 1) begin
            vpx[vk] <= vpx[vk-1];
            vws[vk] <= vws[vk-1];
        end
        v_obw <= half_word[OB_AW-1+LNW:0] + vpx[6][OB_AW-1+LNW:0] * cwo[OB_AW-1+LNW:0] +
            vws[6][OB_AW-1+LNW:0];
    end
    // POOL average: floor((2 * sum + n) / (2 * n)) = (m * rcp[n]) >> 24 with
    // rcp[n] = ceil(2^24 / 2n), exact while m * 2n < 2^24 (m < 2^15, n <= 64: the
    // host's limit); rcp computed per instruction by the divider
    reg [23:0] rcp[0:64];
    reg [23:0] rcp_q;  // the reciprocal of the word at the lanes' F2
    always @(posedge clk) rcp_q <= rcp[vn3[6:0]];
    // LUT: the table (PB words 16..31) also lands in a distributed-RAM copy, read a byte per
    // cycle into each lane's table
    reg [127:0] lt_stage[0:15];
    always @(posedge clk) if (dw_en && dw_buf == 2'd0 && dw_addr[5:4] == 2'd1) lt_stage[dw_addr[3:0]] <= dw_data;
    reg [7:0] lt_i;
    reg lt_we;
    wire [127:0] lt_word = lt_stage[lt_i[7:4]];
    wire [7:0] lt_byte = lt_word[lt_i[3:0]*8+:8];
    wire [255:0] vwin = ib_rdata >> {vsh1, 3'd0};
    reg [127:0] vres;  // the finished word (stage 7)
    wire signed [47:0] v_half = (i_shift == 0) ? 48'sd0 : (48'sd1 <<< (i_shift[5:0] - 6'd1));
    wire [2:0] v_mode = op == 8'd2 ? (f_avg ? 3'd2 : 3'd1) : op == 8'd3 ? 3'd3 :
        (op == 8'd4 && f_bil) ? 3'd3 : op == 8'd6 ? 3'd4 : 3'd0;
    wire [1:0] v_fmode = op == 8'd2 ? (f_avg ? 2'd1 : 2'd0) : op == 8'd3 ? 2'd2 :
        (op == 8'd4 && f_bil) ? 2'd3 : 2'd0;
    // the bilinear weights of the four taps (x 16): 9, 3, 3, 1
    wire signed [31:0] v_wt = vt1 == 16'd0 ? 32'sd9 : (vt1 == 16'd3 ? 32'sd1 : 32'sd3);
    wire v_add_b = op == 8'd3 && vt1 != 16'd0;
    wire signed [31:0] v_m = op == 8'd3 ? (v_add_b ? i_m1 : i_m0) : v_wt;
    wire signed [45:0] add_acc[0:15];
    wire signed [15:0] add_sh[0:15];
    genvar gv;
    generate
        for (gv = 0; gv < 16; gv = gv + 2) begin : vpair
            dd_vshift u (
                clk,
                vl[5],
                add_acc[gv],
                add_acc[gv+1],
                i_shift[5:0],
                add_sh[gv],
                add_sh[gv+1]
            );
        end
        for (gv = 0; gv < 16; gv = gv + 1) begin : vlane
            wire signed [7:0] v = vwin[gv*8+:8];
            // differences to the zero points (int8 values and zero points): 10 bits
            wire signed [9:0] d = $signed({{2{v[7]}}, v}) - $signed(v_add_b ? b_zp[9:0] : a_zp[9:0]);
            wire [15:0] chan = {vws1[11:0], 4'd0} + gv[15:0];
            dd_vlane u (
                .clk(clk),
                .tap(vi1),
                .first(vt1 == 16'd0),
                .mode(v_mode),
                .in_win(vin1),
                .mac_en(!v_add_b || chan < b_c),
                .v(v),
                .d(d),
                .m(v_m),
                .lt_we(lt_we),
                .lt_i(lt_i),
                .lt_byte(lt_byte),
                .fmode(v_fmode),
                .fin(vl[3]),
                .n(vn3),
                .rcp(rcp_q),
                .half(v_half),
                .add_acc(add_acc[gv]),
                .add_sh(add_sh[gv]),
                .zo(o_zp),
                .za(a_zp),
                .cmin(cmin),
                .cmax(cmax),
                .res(vres[gv*8+:8])
            );
        end
    endgenerate

    // ---------------- INPUT: the frame sampler ----------------
    reg [63:0] dv_num;
    reg [31:0] dv_den;
    reg dv_start;
    wire dv_busy;
    wire [63:0] dv_q;
    wire [31:0] dv_r;
    dd_udiv #(64, 32) idiv (
        clk,
        dv_start,
        dv_num,
        dv_den,
        dv_busy,
        dv_q,
        dv_r
    );
    reg [2:0] dv_step;
    reg [31:0] bw, bh, bx, by;
    reg [31:0] q0x, r0x, dqx, drx, dqy, dry;
    reg [31:0] yq, yr, xq, xr;
    reg [31:0] fy;
    wire [31:0] fw = f_width, fh = f_height;
    wire rgb = f_format == 32'd1, nv12 = f_format == 32'd2;
    wire [31:0] ys = yq - 32'd32768;
    wire [31:0] ysc = ys[31] ? 32'd0 : ys;
    wire [31:0] yi0 = ysc[31:16] > fh - 32'd1 ? fh - 32'd1 : {16'd0, ysc[31:16]};
    // the next output row's y taps (the DDA one step on)
    wire [31:0] yq_n = yq + dqy + ((yr + dry >= bh) ? 32'd1 : 32'd0);
    wire [31:0] ys_n = yq_n - 32'd32768;
    wire [31:0] ysc_n = ys_n[31] ? 32'd0 : ys_n;
    wire [31:0] yi0_n = ysc_n[31:16] > fh - 32'd1 ? fh - 32'd1 : {16'd0, ysc_n[31:16]};
    wire next_in_box = py + 16'd1 < o_h && py + 16'd1 < by[15:0] + bh[15:0];
    reg fb_have, fb_have_next;
    reg [15:0] need_cur, need_next;
    reg [31:0] ld_y0, ld_y1;
    reg ld_set;
    reg [5:0] ld_ret;
    wire [31:0] row_bytes0 = rgb ? fw * 3 : (nv12 ? fw : ((fw + 32'd1) >> 1) * 4);
    wire [31:0] uv_bytes = ((fw + 32'd1) >> 1) * 2;
    reg i_run;
    reg [15:0] ix_;
    wire iny = py >= by[15:0] && py < by[15:0] + bh[15:0];
    wire inx = iny && ix_ >= bx[15:0] && ix_ < bx[15:0] + bw[15:0];
    wire [31:0] xs = xq - 32'd32768;
    wire [31:0] xsc = xs[31] ? 32'd0 : xs;
    wire [31:0] xi0 = xsc[31:16] > fw - 32'd1 ? fw - 32'd1 : {16'd0, xsc[31:16]};
    wire [31:0] xi1 = xi0 + 32'd1 < fw ? xi0 + 32'd1 : fw - 32'd1;
    wire [7:0] fx = xsc[15:8];
    // pipeline: 0 taps registered, 1 address, 2 windows, 3 RGB taps, 4 bilinear, 5 normalise
    reg iv0, ib0;
    reg [15:0] ix0;
    reg [31:0] xi0_0, xi1_0;
    reg [7:0] fx0;
    always @(posedge clk) begin
        iv0 <= i_run;
        ib0 <= inx;
        ix0 <= ix_;
        xi0_0 <= xi0;
        xi1_0 <= xi1;
        fx0 <= fx;
    end
    wire [31:0] pos0 = rgb ? xi0_0 * 3 : (nv12 ? xi0_0 : {xi0_0[31:1], 2'd0});
    wire [31:0] posu = {xi0_0[31:1], 1'b0};
    reg iv1, iv2, iv3, iv4, ib1, ib2;
    reg [15:0] ix1, ix2, ix3, ix4;
    reg [3:0] io1, iou1;
    reg id1, iodd0_1, iodd1_1;
    reg [1:0] idu1;
    reg [7:0] fx1, fx2;
    always @(posedge clk) begin
        iv1 <= iv0;
        ib1 <= ib0;
        ix1 <= ix0;
        io1 <= pos0[3:0];
        iou1 <= posu[3:0];
        id1 <= xi1_0 != xi0_0;
        iodd0_1 <= xi0_0[0];
        iodd1_1 <= xi1_0[0];
        idu1 <= {1'b0, (xi1_0 >> 1) != (xi0_0 >> 1)};
        fx1 <= fx0;
    end
    function [7:0] clamp255(input signed [19:0] v);
        clamp255 = v < 0 ? 8'd0 : (v > 255 ? 8'd255 : v[7:0]);
    endfunction
    // BT.601 limited range, 8-bit fixed point (20-bit signed products: no wrap)
    function [23:0] yuv2rgb(input [7:0] y, input [7:0] u, input [7:0] v);
        reg signed [19:0] c, d, e;
        begin
            c = $signed({12'd0, y}) - 20'sd16;
            d = $signed({12'd0, u}) - 20'sd128;
            e = $signed({12'd0, v}) - 20'sd128;
            yuv2rgb = {
                clamp255((20'sd298 * c + 20'sd516 * d + 20'sd128) >>> 8),
                clamp255((20'sd298 * c - 20'sd100 * d - 20'sd208 * e + 20'sd128) >>> 8),
                clamp255((20'sd298 * c + 20'sd409 * e + 20'sd128) >>> 8)
            };  // {B, G, R}
        end
    endfunction
    // the two taps of one frame row (window w: the plane row, u: its UV row): each window
    // shifted once to the first tap's byte, then bytes at small offsets; one YUV -> RGB
    // conversion per tap whatever the format
    function [47:0] taps(input [255:0] w0, input [255:0] u0, input [3:0] o, input [3:0] ou,
                         input d, input [1:0] du, input odd0, input odd1);
        reg [63:0] w, u;
        reg [7:0] ty0, ty1, tu0, tv0, tu1, tv1;
        reg [47:0] yuv;
        begin
            w = w0[o*8+:64];
            u = u0[ou*8+:64];
            if (nv12) begin
                ty0 = w[0+:8];
                ty1 = d ? w[8+:8] : w[0+:8];
                tu0 = u[0+:8];
                tv0 = u[8+:8];
                tu1 = du[0] ? u[16+:8] : u[0+:8];
                tv1 = du[0] ? u[24+:8] : u[8+:8];
            end else begin  // YUYV: Y0 U Y1 V, the second tap maybe in the next 4 bytes
                ty0 = odd0 ? w[16+:8] : w[0+:8];
                ty1 = du[0] ? (odd1 ? w[48+:8] : w[32+:8]) : (odd1 ? w[16+:8] : w[0+:8]);
                tu0 = w[8+:8];
                tv0 = w[24+:8];
                tu1 = du[0] ? w[40+:8] : w[8+:8];
                tv1 = du[0] ? w[56+:8] : w[24+:8];
            end
            yuv = {yuv2rgb(ty1, tu1, tv1), yuv2rgb(ty0, tu0, tv0)};
            taps = rgb ? {d ? w[24+:24] : w[0+:24], w[0+:24]} : yuv;
        end
    endfunction
    reg [47:0] t0, t1;  // row y0 taps, row y1 taps: {tap x1, tap x0} of {B, G, R}
    always @(posedge clk) begin
        t0 <= taps(fb_rdata[0], fb_rdata[2], io1, iou1, id1, idu1, iodd0_1,
                   iodd1_1);
        t1 <= taps(fb_rdata[1], fb_rdata[3], io1, iou1, id1, idu1, iodd0_1,
                   iodd1_1);
        iv2 <= iv1;
        ib2 <= ib1;
        ix2 <= ix1;
        fx2 <= fx1;
    end
    reg [24:0] bl[0:2];
    integer ci;
    always @(posedge clk) begin
        for (ci = 0; ci < 3; ci = ci + 1)
            bl[ci] <= ib2 ?
                ({17'd0, t0[ci*8+:8]} * (25'd256 - {17'd0, fx2}) + {17'd0, t0[24+ci*8+:8]} * {17'd0, fx2}) *
                    (25'd256 - {16'd0, fy[8:0]}) +
                ({17'd0, t1[ci*8+:8]} * (25'd256 - {17'd0, fx2}) + {17'd0, t1[24+ci*8+:8]} * {17'd0, fx2}) * {16'd0, fy[8:0]} :
                {i_m0[8:0], 16'd0};
        iv3 <= iv2;
        ix3 <= ix2;
    end
    reg [23:0] nrm;
    integer ni;
    always @(posedge clk) begin
        for (ni = 0; ni < 3; ni = ni + 1) begin : nl
            reg signed [63:0] a, b, q;
            reg [1:0] srcc;
            srcc = f_bgr ? 2'd2 - ni[1:0] : ni[1:0];
            a = pb[(256+8*ni)*8+:64];
            b = pb[(280+8*ni)*8+:64];
            q = ($signed({1'b0, bl[srcc]}) * a + b + 64'sd2147483648) >>> 32;
            nrm[ni*8+:8] <= q < -64'sd128 ? 8'h80 : (q > 64'sd127 ? 8'h7f : q[7:0]);
        end
        iv4 <= iv3;
        ix4 <= ix3;
    end

    // ---------------- OBUF write port ----------------
    wire [31:0] half_word = {31'd0, half} << (OB_AW - 1 + LNW);
    reg [31:0] ob_word;
    always @(*) begin
        ob_we = 1'b0;
        ob_waddr = 0;
        ob_wlane = 0;
        ob_wdata = 0;
        ob_word = 0;
        if (op == 8'd1) begin
            ob_we = c_out;
            ob_waddr = {half, qpx[4][OB_AW-2:0]};
            ob_wlane = {NW{1'b1}};
            ob_wdata[OCT*8-1:0] = cvec;
        end else if (op == 8'd7) begin
            ob_we = iv4;
            ob_word = half_word + {16'd0, ix4};
            ob_waddr = ob_word[OB_AW-1+LNW:LNW];
            ob_wlane = NW == 2 ? (ob_word[0] ? 2'b10 : 2'b01) : 1'b1;
            ob_wdata = {NW{104'd0, nrm}};
        end else begin
            ob_we = vl[7];
            ob_word = {{(31 - OB_AW - LNW) {1'b0}}, v_obw};
            ob_waddr = ob_word[OB_AW-1+LNW:LNW];
            ob_wlane = NW == 2 ? (ob_word[0] ? 2'b10 : 2'b01) : 1'b1;
            ob_wdata = {NW{vres}};
        end
    end

    // ---------------- the input rows an output row reads ----------------
    // {lo, hi} of output row y (unclamped: rows outside the tensor are padding)
    function [35:0] rows_of(input [15:0] y);
        reg signed [17:0] lo, hi, yh, y1;
        begin
            yh = $signed({3'd0, y[15:1]});
            y1 = y[0] ? (yh + 18'sd1 > $signed({2'd0, a_h}) - 18'sd1 ? $signed({2'd0, a_h}) - 18'sd1 :
                         yh + 18'sd1) : (yh == 0 ? 18'sd0 : yh - 18'sd1);
            lo = $signed({2'd0, y});
            hi = lo;
            case (op)
                8'd1: begin
                    lo = $signed({2'd0, y}) * $signed({16'd0, pool}) * $signed({10'd0, sh}) -
                        $signed({10'd0, pt});
                    hi = ($signed({2'd0, y}) * $signed({16'd0, pool}) + $signed({16'd0, pool}) -
                          18'sd1) * $signed({10'd0, sh}) - $signed({10'd0, pt}) +
                        $signed({10'd0, kh}) - 18'sd1;
                end
                8'd2: begin
                    lo = $signed({2'd0, y}) * $signed({10'd0, sh}) - $signed({10'd0, pt});
                    hi = lo + $signed({10'd0, kh}) - 18'sd1;
                end
                8'd4: begin
                    lo = yh < y1 ? yh : y1;
                    hi = yh < y1 ? y1 : yh;
                end
                8'd5: begin
                    lo = yh;
                    hi = yh;
                end
                default: ;
            endcase
            rows_of = {lo, hi};
        end
    endfunction
    // registered (their products are deep): R_ROW reads them from its second cycle on
    reg [35:0] cur_rows, next_rows;
    reg rows_fresh;
    always @(posedge clk) begin
        cur_rows <= rows_of(py);
        next_rows <= rows_of(py + 16'd1);
        rows_fresh <= st == R_ROW;
    end
    wire signed [17:0] cur_lo = cur_rows[35:18], nxt_lo = next_rows[35:18], nxt_hi = next_rows[17:0];
    wire signed [17:0] a_last = $signed({2'd0, a_h}) - 18'sd1;
    // prefetch: while a row computes, the next row's input rows that fit the ring without
    // overwriting a row this one reads
    reg pf_on, pf_pulse;
    wire signed [17:0] pf_keep = (cur_lo < 0 ? 18'sd0 : cur_lo) + $signed({13'd0, nslots}) - 18'sd1;
    wire signed [17:0] pf_last0 = nxt_hi > a_last ? a_last : nxt_hi;
    wire signed [17:0] pf_last = pf_last0 < pf_keep ? pf_last0 : pf_keep;
    wire signed [17:0] pf_first0 = loaded_hi + 18'sd1;
    wire signed [17:0] pf_first = nxt_lo > pf_first0 ? nxt_lo : pf_first0;
    wire pf_go = pf_on && !pf_pulse && !rd_cmd_valid && rd_ready &&
        (rd_port_q == 2'd2 || !rd_busy) && py + 16'd1 < o_h && pf_first <= pf_last &&
        (st == R_DRAIN || st == V_TAPS);

    // ---------------- sequencer ----------------
    task rd_issue(input [1:0] port, input [1:0] bufsel, input [63:0] base, input [31:0] stride,
                  input [15:0] len, input [15:0] cnt, input [15:0] dst, input [15:0] step,
                  input [5:0] ret, input wait_all);
        begin
            rd_port_next <= port;
            rd_wait_all <= wait_all;
            rd_buf <= bufsel;
            rd_base <= base;
            rd_stride <= stride;
            rd_len <= len;
            rd_count <= cnt;
            rd_dst <= dst;
            rd_dst_step <= step;
            st_ret <= ret;
            st <= S_RDQ;
        end
    endtask
    reg [15:0] wl_j;  // weight row being loaded
    reg [15:0] vdrain;
    reg [15:0] ld_row;
    integer pi;
    always @(posedge clk) begin
        rd_cmd_valid <= 1'b0;
        wr_cmd_valid <= 1'b0;
        done <= 1'b0;
        insn_start <= 1'b0;
        dv_start <= 1'b0;
        if (rst) begin
            st <= S_IDLE;
            c_run <= 1'b0;
            i_run <= 1'b0;
            pf_on <= 1'b0;
            pf_pulse <= 1'b0;
            lt_we <= 1'b0;
        end else begin
            case (st)
                S_IDLE:
                if (start) begin
                    pc <= first;
                    left <= count;
                    st <= S_FETCH;
                end
                S_FETCH:
                if (left == 0) st <= S_DONE;
                else begin
                    insn_index <= pc;
                    insn_start <= 1'b1;
                    rd_issue(2'd0, 2'd0, prog + {32'd0, pc} * 64, 0, 16'd64, 16'd1, 16'd0, 16'd4,
                             S_DESC, 1'b1);
                end
                S_DESC:
                rd_issue(2'd0, 2'd0, prog + {32'd0, tensors_offset} + {48'd0, out_i} * 24, 0, 16'd24,
                         16'd1, 16'd4, 16'd2, S_DESC1, 1'b1);
                S_DESC1:
                if (op == 8'd7) st <= S_DISPATCH;
                else
                    rd_issue(2'd0, 2'd0, prog + {32'd0, tensors_offset} + {48'd0, in0_i} * 24, 0,
                             16'd24, 16'd1, 16'd6, 16'd2, S_DESC2, 1'b1);
                S_DESC2:
                if (!has_b) st <= S_DISPATCH;
                else
                    rd_issue(2'd0, 2'd0, prog + {32'd0, tensors_offset} + {48'd0, in1_i} * 24, 0,
                             16'd24, 16'd1, 16'd8, 16'd2, S_DISPATCH, 1'b1);
                S_DISPATCH: begin
                    // derived values: channel words per pixel (even, so that int4 reads pairs)
                    cw_a <= (a_c + 16'd15) >> 4;
                    a_rs <= {16'd0, a_w} * {16'd0, a_p};
                    b_rs <= {16'd0, b_w} * {16'd0, b_p};
                    o_rs <= {16'd0, o_w} * {16'd0, o_p};
                    cwp_a <= ((a_c + 16'd31) >> 5) << 1;
                    cw4_a <= (a_c + 16'd31) >> 5;
                    cwp_b <= ((b_c + 16'd31) >> 5) << 1;
                    cwo <= (o_c + 16'd15) >> 4;
                    pk <= op == 8'd1 && !f_dw && wbits == 8'd8 && {8'd0, kw} * a_c <= 16'd16 &&
                        a_p == a_c;
                    if (op == 8'd1 && !f_dw && wbits == 8'd8 && {8'd0, kw} * a_c <= 16'd16 &&
                        a_p == a_c) begin
                        row_words <= (a_w * a_c + 16'd15) >> 4;
                        ld_count <= 16'd1;
                        ld_len <= a_w * a_c;
                        ld_step <= 16'd0;
                    end else begin
                        row_words <= a_w * (((a_c + 16'd31) >> 5) << 1);
                        ld_count <= a_w;
                        ld_len <= a_c;
                        ld_step <= ((a_c + 16'd31) >> 5) << 1;
                    end
                    pool <= (op == 8'd1 && f_pool) ? 2'd2 : 2'd1;
                    ngroups <= kh * kw;
                    half <= 1'b0;
                    py <= 0;
                    oc0 <= 0;
                    fset <= 1'b0;
                    fb_have <= 1'b0;
                    case (op)
                        8'd1: st <= C_TILE;
                        8'd7: begin
                            dv_step <= 0;
                            st <= I_DIV;
                        end
                        8'd6:
                        begin
                            lt_i <= 0;
                            rd_issue(2'd1, 2'd0, blob + {32'd0, i_weights}, 0, 16'd256, 16'd1,
                                     16'd16, 16'd16, L_COPY, 1'b1);
                        end
                        8'd2: begin
                            rcp_n <= 16'd1;
                            dv_step <= 3'd0;
                            st <= f_avg ? P_RCP : R_ROW;
                        end
                        default: st <= R_ROW;
                    endcase
                end
                // ---- CONV: per tile of OCT output channels ----
                C_TILE:
                if (oc0 >= o_c) st <= S_NEXT;
                else begin
                    nrows <= o_c - oc0 > OCT ? OCT : o_c - oc0;
                    steps <= (f_dw || pk) ? 16'd1 : (int4 ? cw4_a : cw_a);
                    gb <= pk ? {8'd0, kw} * a_c : (int4 ? a_c >> 1 : a_c);
                    wgroups <= pk ? {8'd0, kh} : ngroups;
                    row_bytes <= f_dw ? (int4 ? (ngroups + 16'd1) >> 1 : ngroups) :
                        (int4 ? ngroups * (a_c >> 1) : ngroups * a_c);
                    wl_j <= 0;
                    nslots <= nslots_fit;
                    st <= C_WLOAD;
                end
                C_WLOAD:
                if (wl_j == nrows) st <= C_BIAS;
                else begin
                    wl_j <= wl_j + 16'd1;
                    if (f_dw)
                        rd_issue(2'd1, 2'd2, blob + {32'd0, i_weights + (oc0 + wl_j) * row_bytes}, 0,
                                 row_bytes, 16'd1,
                                 wl_j << WB_AW, 16'd0, C_WLOAD, 1'b0);
                    else
                        rd_issue(2'd1, 2'd2, blob + {32'd0, i_weights + (oc0 + wl_j) * row_bytes},
                                 {16'd0, gb}, gb, wgroups,
                                 wl_j << WB_AW, steps, C_WLOAD, 1'b0);
                end
                C_BIAS:
                rd_issue(2'd1, 2'd0, blob + {32'd0, i_bias} + {48'd0, oc0} * 4, 0, nrows * 4,
                         16'd1, 16'd16, 16'd8, C_QUANT, 1'b0);
                C_QUANT:
                rd_issue(2'd1, 2'd0, blob + {32'd0, i_quant} + {48'd0, oc0} * 12, 0, nrows * 12,
                         16'd1, 16'd24, 16'd24, C_PARAMS, 1'b1);
                C_PARAMS: begin
                    for (pi = 0; pi < OCT; pi = pi + 1) begin
                        r_bias[pi] <= pb32(256 + 4 * pi);
                        r_m[pi] <= pb32(384 + 12 * pi);
                        r_mn[pi] <= pb32(388 + 12 * pi);
                        r_s[pi] <= pb32(392 + 12 * pi);
                    end
                    py <= 0;
                    loaded_hi <= -18'sd1;
                    st <= R_ROW;
                end
                // ---- one output row: load its input rows, compute, write ----
                R_ROW:
                if (!rows_fresh) ;  // cur_rows follows py one cycle late
                else if (py == o_h) begin
                    if (op == 8'd1) begin
                        if (!wr_busy && !wr_cmd_valid) begin  // the tile's last row is out
                            oc0 <= oc0 + OCT;
                            st <= C_TILE;
                        end
                    end else st <= S_NEXT;
                end else begin
                    // the input rows this output row reads (clamped in R_LOAD)
                    lo_row <= op == 8'd7 ? 18'sd0 : cur_lo;
                    hi_row <= op == 8'd7 ? -18'sd1 : cur_rows[17:0];
                    if (op == 8'd7) begin
                        // this row's taps; its frame rows loaded unless prefetched
                        fy <= {24'd0, ysc[15:8]};
                        ld_y0 <= yi0;
                        ld_y1 <= yi0 + 32'd1 < fh ? yi0 + 32'd1 : fh - 32'd1;
                        ld_set <= fset;
                        ld_ret <= I_CUR;
                        ld_row <= 0;
                        st <= !iny ? R_RUN : (fb_have ? I_PF : I_ROWLOAD);
                    end else st <= R_LOAD;
                    if (op != 8'd1 && py == 0) loaded_hi <= -18'sd1;
                    if (op != 8'd1 && op != 8'd7 && py == 0) nslots <= nslots_fit;
                end
                R_LOAD: begin
                    // clamp the row range, then load the rows not yet in the ring
                    if (hi_row >= $signed({2'd0, a_h})) hi_row <= $signed({2'd0, a_h}) - 18'sd1;
                    else if (lo_row < 0) lo_row <= 0;
                    else if (loaded_hi + 18'sd1 > lo_row) lo_row <= loaded_hi + 18'sd1;
                    else if (lo_row > hi_row) st <= (op == 8'd3) ? R_LOADB : R_WAITLD;
                    else begin
                        loaded_hi <= lo_row;
                        lo_row <= lo_row + 18'sd1;
                        rd_issue(2'd2, 2'd1, arena + {32'd0, a_off + lo_row[15:0] * a_rs},
                                 {16'd0, a_p}, ld_len, ld_count,
                                 (lo_row[15:0] & ({11'd0, nslots} - 16'd1)) * row_words, ld_step,
                                 R_LOAD, 1'b0);
                    end
                end
                R_LOADB:
                rd_issue(2'd2, 2'd1, arena + {32'd0, b_off + py * b_rs}, {16'd0, b_p}, b_c, b_w,
                         16'd1 << (IB_AW - 1), cwp_b, R_WAITLD, 1'b0);
                R_RUN: begin
                    // start the row's compute loop
                    px <= 0;
                    sub <= 0;
                    ky <= 0;
                    kx <= 0;
                    s <= 0;
                    g <= 0;
                    vx <= 0;
                    vs <= 0;
                    vt <= 0;
                    vky <= 0;
                    vkx <= 0;
                    vdrain <= 0;
                    ix_ <= 0;
                    xq <= q0x;
                    xr <= r0x;
                    if (op == 8'd1) c_run <= 1'b1;
                    else if (op == 8'd7) i_run <= 1'b1;
                    else begin
                        ntaps <= op == 8'd2 ? {8'd0, kh} * {8'd0, kw} :
                            (op == 8'd3 ? 16'd2 : ((op == 8'd4 && f_bil) ? 16'd4 : 16'd1));
                        st <= V_TAPS;
                    end
                    if (op == 8'd1 || op == 8'd7) st <= R_DRAIN;
                    pf_on <= op != 8'd7;
                end
                R_DRAIN:
                // the compute loops below clear c_run / i_run; then the pipelines empty
                if (!c_run && !i_run) begin
                    if (vdrain >= 16'd16) begin
                        vdrain <= 0;
                        st <= R_WRITE;
                    end else vdrain <= vdrain + 16'd1;
                end
                R_WRITE:
                if (!wr_busy && !pf_pulse && !rd_cmd_valid) begin
                    pf_on <= 1'b0;
                    wr_base <= arena + {32'd0, o_off + py * o_rs} +
                        (op == 8'd1 ? {48'd0, oc0} : 64'd0);
                    wr_stride <= {16'd0, o_p};
                    wr_len <= op == 8'd1 ? nrows : o_c;
                    wr_count <= o_w;
                    wr_src <= half_word[15:0];
                    wr_src_step <= op == 8'd1 ? NW : (op == 8'd7 ? 16'd1 : cwo);
                    wr_cmd_valid <= 1'b1;
                    half <= ~half;
                    st <= R_ROWNEXT;
                end
                R_ROWNEXT: begin
                    py <= py + 16'd1;
                    if (op == 8'd7 && iny) begin
                        fset <= ~fset;
                        fb_have <= fb_have_next;
                        need_cur <= need_next;
                        // the y taps' DDA: next in-box row
                        yq <= yq + dqy + ((yr + dry >= bh) ? 32'd1 : 32'd0);
                        yr <= (yr + dry >= bh) ? yr + dry - bh : yr + dry;
                    end
                    st <= R_ROW;
                end
                // ---- vector unit: a tap per cycle, words back to back ----
                V_TAPS: begin
                    vn <= vn_word;
                    if (!v_last_tap) begin
                        vt <= vt + 16'd1;
                        if (vkx == kw - 8'd1) begin
                            vkx <= 0;
                            vky <= vky + 8'd1;
                        end else vkx <= vkx + 8'd1;
                    end else begin
                        vt <= 0;
                        vky <= 0;
                        vkx <= 0;
                        if (vs == cwo - 16'd1) begin
                            vs <= 0;
                            if (vx == o_w - 16'd1) st <= R_DRAIN;
                            else vx <= vx + 16'd1;
                        end else vs <= vs + 16'd1;
                    end
                end
                L_COPY: begin
                    lt_we <= 1'b1;
                    if (lt_we) lt_i <= lt_i + 8'd1;
                    if (lt_we && lt_i == 8'd255) begin
                        lt_we <= 1'b0;
                        st <= R_ROW;
                    end
                end
                // ---- POOL average: the reciprocals of 2n, n = 1 .. kh * kw ----
                P_RCP: begin
                    if (dv_step == 3'd0) begin
                        dv_num <= (64'd1 << 24) + {47'd0, rcp_n, 1'b0} - 64'd1;
                        dv_den <= {15'd0, rcp_n, 1'b0};
                        dv_start <= 1'b1;
                        dv_step <= 3'd1;
                    end else if (!dv_start && !dv_busy) begin
                        rcp[rcp_n[6:0]] <= dv_q[23:0];
                        dv_step <= 3'd0;
                        if (rcp_n == {8'd0, kh} * {8'd0, kw}) st <= R_ROW;
                        else rcp_n <= rcp_n + 16'd1;
                    end
                end
                // ---- INPUT set-up: letterbox box and the taps' DDA (5 divisions) ----
                I_DIV: begin
                    dv_start <= 1'b1;
                    st <= I_DIVW;
                    case (dv_step)
                        3'd0:
                        if ({32'd0, fw[15:0] * {16'd0, o_h}} >= {32'd0, fh[15:0] * {16'd0, o_w}}) begin
                            dv_num <= {31'd0, fh[15:0] * {16'd0, o_w}, 1'b0} + {32'd0, fw};
                            dv_den <= 2 * fw;
                        end else begin
                            dv_num <= {31'd0, fw[15:0] * {16'd0, o_h}, 1'b0} + {32'd0, fh};
                            dv_den <= 2 * fh;
                        end
                        3'd1: begin
                            dv_num <= {32'd0, fw} * 32768;
                            dv_den <= bw;
                        end
                        3'd2: begin
                            dv_num <= {32'd0, fw} * 65536;
                            dv_den <= bw;
                        end
                        3'd3: begin
                            dv_num <= {32'd0, fh} * 32768;
                            dv_den <= bh;
                        end
                        default: begin
                            dv_num <= {32'd0, fh} * 65536;
                            dv_den <= bh;
                        end
                    endcase
                end
                I_DIVW:
                if (!dv_start && !dv_busy) begin
                    dv_step <= dv_step + 3'd1;
                    st <= I_DIV;
                    case (dv_step)
                        3'd0: begin
                            if ({32'd0, fw[15:0] * {16'd0, o_h}} >= {32'd0, fh[15:0] * {16'd0, o_w}}) begin
                                bw <= {16'd0, o_w};
                                bh <= dv_q[31:0] < 1 ? 1 : (dv_q[31:0] > {16'd0, o_h} ? {16'd0, o_h} : dv_q[31:0]);
                            end else begin
                                bh <= {16'd0, o_h};
                                bw <= dv_q[31:0] < 1 ? 1 : (dv_q[31:0] > {16'd0, o_w} ? {16'd0, o_w} : dv_q[31:0]);
                            end
                        end
                        3'd1: begin
                            q0x <= dv_q[31:0];
                            r0x <= dv_r;
                            bx <= ({16'd0, o_w} - bw) >> 1;
                            by <= ({16'd0, o_h} - bh) >> 1;
                        end
                        3'd2: begin
                            dqx <= dv_q[31:0];
                            drx <= dv_r;
                        end
                        3'd3: begin
                            yq <= dv_q[31:0];
                            yr <= dv_r;
                        end
                        default: begin
                            dqy <= dv_q[31:0];
                            dry <= dv_r;
                            st <= I_NORM;
                        end
                    endcase
                end
                I_NORM:
                rd_issue(2'd1, 2'd0, blob + {32'd0, i_quant}, 0, 16'd48, 16'd1, 16'd16, 16'd3,
                         R_ROW, 1'b1);
                I_ROWLOAD: begin
                    // rows ld_y0, ld_y1 of the frame -> set ld_set: plane rows to buffers 0, 1,
                    // NV12 UV rows to 2, 3
                    if (ld_row == 16'd0) begin
                        ld_row <= 16'd1;
                        rd_issue(2'd3, 2'd3, frame + {32'd0, ld_y0[15:0] * f_stride}, 0,
                                 row_bytes0[15:0], 16'd1, {13'd0, ld_set, 2'd0} << FB_AW, 16'd0,
                                 I_ROWLOAD, 1'b0);
                    end else if (ld_row == 16'd1) begin
                        ld_row <= 16'd2;
                        rd_issue(2'd3, 2'd3, frame + {32'd0, ld_y1[15:0] * f_stride}, 0,
                                 row_bytes0[15:0], 16'd1, {13'd0, ld_set, 2'd1} << FB_AW, 16'd0,
                                 I_ROWLOAD, 1'b0);
                    end else if (ld_row == 16'd2 && nv12) begin
                        ld_row <= 16'd3;
                        rd_issue(2'd3, 2'd3, frame + {32'd0, f_uv_offset} +
                                 {32'd0, ld_y0[16:1] * f_uv_stride}, 0, uv_bytes[15:0],
                                 16'd1, {13'd0, ld_set, 2'd2} << FB_AW, 16'd0, I_ROWLOAD, 1'b0);
                    end else if (ld_row == 16'd3 && nv12) begin
                        ld_row <= 16'd4;
                        rd_issue(2'd3, 2'd3, frame + {32'd0, f_uv_offset} +
                                 {32'd0, ld_y1[16:1] * f_uv_stride}, 0, uv_bytes[15:0],
                                 16'd1, {13'd0, ld_set, 2'd3} << FB_AW, 16'd0, I_ROWLOAD, 1'b0);
                    end else begin
                        ld_row <= 0;
                        st <= ld_ret;
                    end
                end
                I_CUR: begin
                    need_cur <= rd_issued;
                    st <= I_PF;
                end
                I_PF:
                // the next output row's frame rows into the other set while this one samples
                if (next_in_box) begin
                    ld_y0 <= yi0_n;
                    ld_y1 <= yi0_n + 32'd1 < fh ? yi0_n + 32'd1 : fh - 32'd1;
                    ld_set <= ~fset;
                    ld_ret <= I_NEXT;
                    ld_row <= 0;
                    st <= I_ROWLOAD;
                end else begin
                    fb_have_next <= 1'b0;
                    st <= I_WAIT;
                end
                I_NEXT: begin
                    need_next <= rd_issued;
                    fb_have_next <= 1'b1;
                    st <= I_WAIT;
                end
                I_WAIT:
                if ($signed(rd_done - need_cur) >= 0) st <= R_RUN;
                S_RDQ:
                if (rd_ready && !rd_cmd_valid && !pf_pulse &&
                    (rd_port_next == rd_port_q || !rd_busy)) begin
                    rd_port_q <= rd_port_next;
                    rd_cmd_valid <= 1'b1;
                    st <= S_RDW0;
                end
                S_RDW0: st <= rd_wait_all ? S_RDW : st_ret;
                S_RDW: if (!rd_busy) st <= st_ret;
                R_WAITLD: if (!rd_busy) st <= R_RUN;
                S_NEXT:
                if (!wr_busy && !wr_cmd_valid) begin
                    pc <= pc + 32'd1;
                    left <= left - 32'd1;
                    st <= S_FETCH;
                end
                S_DONE: begin
                    done <= 1'b1;
                    st <= S_IDLE;
                end
                default: st <= S_IDLE;
            endcase

            // the prefetch's read command
            pf_pulse <= 1'b0;
            if (pf_go) begin
                rd_port_q <= 2'd2;
                rd_buf <= 2'd1;
                rd_base <= arena + {32'd0, a_off + pf_first[15:0] * a_rs};
                rd_stride <= {16'd0, a_p};
                rd_len <= ld_len;
                rd_count <= ld_count;
                rd_dst <= (pf_first[15:0] & ({11'd0, nslots} - 16'd1)) * row_words;
                rd_dst_step <= ld_step;
                rd_cmd_valid <= 1'b1;
                pf_pulse <= 1'b1;
                loaded_hi <= pf_first;
            end
            // CONV issue loop (runs while st == R_DRAIN)
            if (c_run) begin
                if (!last_s) s <= s + 16'd1;
                else begin
                    s <= 0;
                    if (!last_kx) begin
                        kx <= kx + 8'd1;
                        g <= g + 16'd1;
                    end else begin
                        kx <= 0;
                        if (!last_ky) begin
                            ky <= ky + 8'd1;
                            g <= g + 16'd1;
                        end else begin
                            ky <= 0;
                            g <= 0;
                            if (!last_sub) sub <= sub + 2'd1;
                            else begin
                                sub <= 0;
                                if (!last_px) px <= px + 16'd1;
                                else c_run <= 1'b0;
                            end
                        end
                    end
                end
            end
            // INPUT pixel loop
            if (i_run) begin
                if (inx) begin
                    xq <= xq + dqx + ((xr + drx >= bw) ? 32'd1 : 32'd0);
                    xr <= (xr + drx >= bw) ? xr + drx - bw : xr + drx;
                end
                if (ix_ == o_w - 16'd1) i_run <= 1'b0;
                ix_ <= ix_ + 16'd1;
            end
        end
    end

    // memory read addresses
    integer fi;
    always @(*) begin
        ib_raddr = op == 8'd1 ? c_ibaddr[IB_AW-1:0] : v_ibaddr[IB_AW-1:0];
        wb_raddr = c_wbaddr[WB_AW-1:0];
        for (fi = 0; fi < 4; fi = fi + 1) fb_raddr[fi] = (fi & 2) ? posu[FB_AW+3:4] : pos0[FB_AW+3:4];
    end
endmodule
