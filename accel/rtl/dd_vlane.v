// One lane of the vector unit (POOL, ADD, UPSAMPLE, D2S, LUT): one int8 tap per
// cycle into a 44-bit accumulator, then a 3-stage finish to the output byte.
//   cycle t     a tap (tap = 1) with its operands
//   t + 1       the product d * m registered (a DSP with its output register)
//   t + 2       accumulate: vacc holds the word once its last tap has passed
//   t + 2 .. 5  finish: F1 (avg numerator / ADD rounding / bilinear scale),
//               F2 (avg reciprocal product / ADD shift of the pair's first lane),
//               F2b (the pair's second lane: dd_vshift), F3 (zero point, clamp)
//   t + 6       res: the word's byte (its last tap presented at t)
// Widths (docs/ISA.md, checked by the host): ADD's products are 10 x 32 bits,
// shift 1..40; averages have at most 64 taps; zero points and the clamp range
// are int8, so everything after ADD's shift fits 16 bits.
module dd_vlane (
    input clk,
    // the tap (cycle t)
    input tap,
    input first,  // the word's first tap
    input [2:0] mode,  // 0 copy, 1 max, 2 sum, 3 multiply-accumulate, 4 table
    input in_win,  // max / sum: the tap lies inside the tensor
    input mac_en,  // multiply-accumulate: this tap counts
    input signed [7:0] v,
    input signed [9:0] d,  // multiply-accumulate: the tap minus its zero point
    input signed [31:0] m,  // and its multiplier
    // the table (mode 4), written a byte per cycle
    input lt_we,
    input [7:0] lt_i,
    input [7:0] lt_byte,
    // the finish (constant over an instruction but n, rcp)
    input [1:0] fmode,  // 0 as is, 1 average, 2 ADD rounding shift, 3 bilinear
    input [15:0] n,  // average: taps inside (valid at t + 2)
    input [23:0] rcp,  // average: ceil(2^24 / 2n) (valid at t + 3)
    input fin,  // the word's last tap has accumulated (t + 2)
    input signed [47:0] half,  // ADD: 2^(shift - 1)
    output reg signed [45:0] add_acc,  // ADD: the rounded accumulator, for dd_vshift
    input signed [15:0] add_sh,  // ADD: its shift (at F3)
    input signed [31:0] zo,  // ADD: output zero point
    input signed [31:0] za,  // bilinear: input zero point
    input signed [31:0] cmin,
    input signed [31:0] cmax,
    output reg [7:0] res
);
    localparam M_COPY = 3'd0, M_MAX = 3'd1, M_SUM = 3'd2, M_MAC = 3'd3, M_LUT = 3'd4;
    localparam F_PASS = 2'd0, F_AVG = 2'd1, F_ADD = 2'd2, F_BIL = 2'd3;
    reg [7:0] ltab[0:255];  // distributed RAM, asynchronous read
    always @(posedge clk) if (lt_we) ltab[lt_i] <= lt_byte;
    // t + 1: the product and the tap's control
    reg t1, first1, in_win1, mac1;
    reg [2:0] mode1;
    reg signed [7:0] v1;
    reg [7:0] lut1;
    reg signed [41:0] p1;
    always @(posedge clk) begin
        t1 <= tap;
        first1 <= first;
        in_win1 <= in_win;
        mac1 <= mac_en;
        mode1 <= mode;
        v1 <= v;
        lut1 <= ltab[v ^ 8'h80];
        p1 <= d * m;
    end
    // t + 2: accumulate (a max over no tap inside the tensor: -32768, below any clamp)
    reg signed [43:0] vacc;
    wire signed [43:0] ve = {{36{v1[7]}}, v1};
    wire signed [15:0] mx0 = first1 ? -16'sd32768 : vacc[15:0];
    wire signed [43:0] addend = mode1 == M_SUM ? (in_win1 ? ve : 44'sd0) :
        (mac1 ? {{2{p1[41]}}, p1} : 44'sd0);
    always @(posedge clk)
        if (t1)
            case (mode1)
                M_MAX: vacc <= (in_win1 && $signed(ve[15:0]) > mx0) ? ve : {{28{mx0[15]}}, mx0};
                M_SUM, M_MAC: vacc <= (first1 ? 44'sd0 : vacc) + addend;
                M_LUT: vacc <= {{36{lut1[7]}}, lut1};
                default: vacc <= ve;
            endcase
    // F1: everything but ADD fits 16 bits (max >= -32768, sums of 64 int8, bilinear sums
    // of 16 x 383); ADD's rounded accumulator is held for the shared shifter
    wire signed [15:0] v16 = vacc[15:0];
    wire signed [19:0] n20 = {4'd0, n};
    wire signed [19:0] num = {{3{v16[15]}}, v16, 1'b0} + n20;  // 2 * sum + n
    wire signed [19:0] mag = num < 0 ? -num + {n20[18:0], 1'b0} - 20'sd1 : num;  // floor
    reg signed [15:0] f1;
    reg neg1;
    always @(posedge clk) begin
        neg1 <= num < 0;
        if (fin) add_acc <= {{2{vacc[43]}}, vacc} + half[45:0];
        case (fmode)
            F_AVG: f1 <= mag[15:0];
            F_BIL: f1 <= (v16 + 16'sd8) >>> 4;
            default: f1 <= v16;
        endcase
    end
    // F2: the average's reciprocal product; F2b: a register stage while the pair's shifter
    // takes its second lane
    wire [39:0] qq = f1 * rcp;
    reg signed [15:0] f2, f2b;
    reg neg2, neg2b;
    always @(posedge clk) begin
        neg2 <= neg1;
        f2 <= fmode == F_AVG ? {1'b0, qq[38:24]} : f1;
        neg2b <= neg2;
        f2b <= f2;
    end
    // F3: zero point, clamp
    wire signed [15:0] pre = fmode == F_AVG ? (neg2b ? -f2b : f2b) :
        fmode == F_ADD ? add_sh + zo[15:0] : fmode == F_BIL ? f2b + za[15:0] : f2b;
    wire signed [15:0] lo = cmin[15:0], hi = cmax[15:0];
    always @(posedge clk) res <= pre < lo ? lo[7:0] : (pre > hi ? hi[7:0] : pre[7:0]);
endmodule

// ADD's rounding shift, saturated to 12 bits (the clamp range is int8, checked by the
// host), shared by a pair of lanes: an ADD word takes two taps, so lane a's accumulator is
// shifted at F2 and lane b's the cycle after; both results arrive at F3.
module dd_vshift (
    input clk,
    input sel_b,  // the cycle after lane a's F2
    input signed [45:0] acc_a,
    input signed [45:0] acc_b,
    input [5:0] shift,
    output reg signed [15:0] sh_a,
    output reg signed [15:0] sh_b
);
    wire signed [45:0] sh = (sel_b ? acc_b : acc_a) >>> shift;
    wire sat_hi = !sh[45] && |sh[44:11], sat_lo = sh[45] && !(&sh[44:11]);
    always @(posedge clk) begin
        sh_b <= sat_hi ? 16'sd2047 : sat_lo ? -16'sd2048 : sh[15:0];
        sh_a <= sh_b;
    end
endmodule
