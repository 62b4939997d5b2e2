// One row of the MAC array: 16 lanes feeding one output channel's dot
// product. Each lane holds two 8x4-bit multipliers:
//   int8 weights: one MAC per lane, a0 * w = a0 * hi * 16 + a0 * lo (lo unsigned)
//   int4 weights: two MACs per lane, a0 * lo + a1 * hi (both nibbles signed)
// so int4 runs at twice the int8 MAC rate on the same multipliers. With
// MUL_DSP the first multiplier is a full 8x8 DSP product (int8 a0 * w, int4
// a0 * lo) and only the int4 second product is in fabric. Registered
// operands, registered products (the DSP's M register), then a registered
// adder tree.
module dd_mac_row #(
    parameter MUL_DSP = 0
) (
    input clk,
    input int4_in,
    input [127:0] a0_in,  // 16 activations (int8)
    input [127:0] a1_in,  // int4: the 16 odd-channel activations
    input [127:0] w_in,   // 16 weight bytes
    output reg signed [21:0] sum  // three cycles after the operands
);
    // registered operands (the DSP's A/B registers), products, sum
    reg [127:0] a0, a1, w;
    reg int4;
    always @(posedge clk) begin
        a0 <= a0_in;
        a1 <= a1_in;
        w <= w_in;
        int4 <= int4_in;
    end
    // signed 8 x signed 5 in fabric: shift-and-add of the partial products
    function signed [12:0] mul8x5(input signed [7:0] a, input signed [4:0] b);
        reg signed [12:0] ae;
        begin
            ae = {{5{a[7]}}, a};
            mul8x5 = (b[0] ? ae : 13'sd0) + (b[1] ? (ae <<< 1) : 13'sd0) +
                (b[2] ? (ae <<< 2) : 13'sd0) + (b[3] ? (ae <<< 3) : 13'sd0) -
                (b[4] ? (ae <<< 4) : 13'sd0);
        end
    endfunction
    reg signed [17:0] prod[0:15];
    genvar i;
    generate
        for (i = 0; i < 16; i = i + 1) begin : lane
            wire signed [7:0] x0 = a0[i*8+:8];
            wire signed [7:0] x1 = a1[i*8+:8];
            wire [3:0] lo = w[i*8+:4];
            wire [3:0] hi = w[i*8+4+:4];
            wire signed [4:0] hi5 = {hi[3], hi};
            wire signed [12:0] p_hi = mul8x5(int4 ? x1 : x0, hi5);
            wire signed [17:0] p_lo;
            if (MUL_DSP) begin : dsp
                wire signed [7:0] wl = int4 ? {{4{lo[3]}}, lo} : w[i*8+:8];
                wire signed [15:0] p = x0 * wl;
                assign p_lo = {{2{p[15]}}, p};
            end else begin : fab
                wire signed [4:0] lo5 = int4 ? {lo[3], lo} : {1'b0, lo};
                wire signed [12:0] p = mul8x5(x0, lo5);
                assign p_lo = {{5{p[12]}}, p};
            end
            // int8 with MUL_DSP: p_lo is already the whole product
            wire signed [17:0] hi_term = int4 ? {{5{p_hi[12]}}, p_hi} :
                (MUL_DSP ? 18'sd0 : ({{5{p_hi[12]}}, p_hi} <<< 4));
            always @(posedge clk) prod[i] <= p_lo + hi_term;
        end
    endgenerate
    integer k;
    reg signed [21:0] t;
    always @(*) begin
        t = 22'sd0;
        for (k = 0; k < 16; k = k + 1) t = t + {{4{prod[k][17]}}, prod[k]};
    end
    always @(posedge clk) sum <= t;
endmodule

// The ISA's requantization, pipelined (5 stages): m (or m_neg for a negative
// accumulator with LEAKY), acc * m in 64 bits (DSPs), + 2^(n-1), >> n with
// n = 31 + s, + output zero point, clamp; the clamped int32 comes out.
module dd_requant (
    input clk,
    input in_valid,
    input signed [31:0] acc,
    input signed [31:0] m,
    input signed [31:0] m_neg,
    input signed [31:0] s,
    input leaky,
    input signed [31:0] zp,
    input signed [31:0] cmin,
    input signed [31:0] cmax,
    output reg out_valid,
    output reg signed [31:0] out
);
    reg v1, v2, v3, v4;
    reg signed [31:0] a1, m1;
    reg [5:0] n1, n2, n3;
    reg signed [63:0] p2, p3, p4;
    wire signed [63:0] zp64 = zp, cmin64 = cmin, cmax64 = cmax;
    always @(posedge clk) begin
        v1 <= in_valid;
        a1 <= acc;
        m1 <= (leaky && acc < 0) ? m_neg : m;
        n1 <= s[5:0] + 6'd31;
        v2 <= v1;
        p2 <= a1 * m1;
        n2 <= n1;
        v3 <= v2;
        p3 <= p2 + (64'sd1 <<< (n2 - 6'd1));
        n3 <= n2;
        v4 <= v3;
        p4 <= (p3 >>> n3) + zp64;
        out_valid <= v4;
        out <= p4 < cmin64 ? cmin : (p4 > cmax64 ? cmax : p4[31:0]);
    end
endmodule

// Unsigned restoring division, one quotient bit per cycle (N cycles).
module dd_udiv #(
    parameter N = 64,
    parameter D = 32
) (
    input clk,
    input start,
    input [N-1:0] num,
    input [D-1:0] den,
    output busy,
    output reg [N-1:0] q,
    output reg [D-1:0] r
);
    reg [7:0] left;
    reg [D-1:0] dd;
    wire [D:0] sh = {r, q[N-1]};
    wire ge = sh >= {1'b0, dd};
    assign busy = left != 8'd0;
    always @(posedge clk) begin
        if (start) begin
            q <= num;
            r <= 0;
            dd <= den;
            left <= N;
        end else if (left != 8'd0) begin
            r <= ge ? sh[D-1:0] - dd : sh[D-1:0];
            q <= {q[N-2:0], ge};
            left <= left - 8'd1;
        end
    end
endmodule
