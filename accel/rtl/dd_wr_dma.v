// Write DMA: `count` chunks of `len` bytes from a local buffer (16-byte
// words, chunk i from word src + i * src_step, one cycle read latency) to
// byte address base + i * stride, any alignment: AXI4 write bursts of up to
// 16 beats that never cross a 4 KB boundary, byte strobes at both ends.
module dd_wr_dma (
    input clk,
    input rst,
    input cmd_valid,
    output cmd_ready,
    input [63:0] cmd_base,
    input [31:0] cmd_stride,
    input [15:0] cmd_len,
    input [15:0] cmd_count,
    input [15:0] cmd_src,
    input [15:0] cmd_src_step,
    output busy,
    output [15:0] src_addr,
    input [127:0] src_data,
    output reg aw_valid,
    input aw_ready,
    output reg [63:0] aw_addr,
    output reg [7:0] aw_len,
    output w_valid,
    input w_ready,
    output [127:0] w_data,
    output [15:0] w_strb,
    output w_last,
    input b_valid,
    output b_ready
);
    localparam IDLE = 2'd0, AW = 2'd1, WD = 2'd2;
    reg [1:0] st;
    reg [15:0] chunks_left, len, s0, src_step;
    reg [31:0] stride;
    reg [63:0] ca;
    reg [12:0] j;  // beat of the chunk
    reg [4:0] bb, nbq;  // beat of the burst, beats in the burst
    reg [127:0] prev;
    reg [15:0] outstanding;
    wire [3:0] off = ca[3:0];
    wire [16:0] nbt = ({13'd0, off} + {1'b0, len} + 17'd15) >> 4;  // beats of the chunk
    wire [63:0] baddr = {ca[63:4], 4'd0} + {47'd0, j, 4'd0};
    wire [8:0] beats_4k = 9'd256 - {1'b0, baddr[11:4]};
    wire [16:0] left = nbt - {4'd0, j};
    wire [8:0] nb1 = left < 17'd16 ? left[8:0] : 9'd16;
    wire [8:0] nb = nb1 < beats_4k ? nb1 : beats_4k;
    wire wfire = st == WD && w_ready;
    assign src_addr = s0 + {3'd0, j} + (wfire ? 16'd1 : 16'd0);
    assign w_valid = st == WD;
    wire [255:0] cat = {src_data, prev};
    wire [7:0] rsh = 8'd128 - {off, 3'd0};
    assign w_data = cat[rsh+:128];
    genvar b;
    generate
        for (b = 0; b < 16; b = b + 1) begin : strb
            wire [17:0] pos = {1'b0, j, 4'd0} + b;
            assign w_strb[b] = pos >= {14'd0, off} && pos < {14'd0, off} + {2'd0, len};
        end
    endgenerate
    assign w_last = bb == nbq - 5'd1;
    assign b_ready = 1'b1;
    assign busy = st != IDLE || outstanding != 16'd0;
    assign cmd_ready = st == IDLE;
    wire chunk_end = wfire && {4'd0, j} + 17'd1 == nbt;

    always @(posedge clk) begin
        if (rst) begin
            st <= IDLE;
            aw_valid <= 1'b0;
            outstanding <= 0;
        end else begin
            outstanding <= outstanding + (aw_valid && aw_ready ? 16'd1 : 16'd0) -
                (b_valid ? 16'd1 : 16'd0);
            case (st)
                IDLE:
                if (cmd_valid && cmd_count != 16'd0) begin
                    chunks_left <= cmd_count;
                    len <= cmd_len;
                    stride <= cmd_stride;
                    ca <= cmd_base;
                    s0 <= cmd_src;
                    src_step <= cmd_src_step;
                    j <= 0;
                    prev <= 0;
                    st <= AW;
                end
                AW:
                if (!aw_valid) begin
                    aw_valid <= 1'b1;
                    aw_addr <= baddr;
                    aw_len <= nb[7:0] - 8'd1;
                    nbq <= nb[4:0];
                    bb <= 0;
                end else if (aw_ready) begin
                    aw_valid <= 1'b0;
                    st <= WD;
                end
                WD:
                if (w_ready) begin
                    prev <= src_data;
                    j <= j + 13'd1;
                    bb <= bb + 5'd1;
                    if (chunk_end) begin
                        j <= 0;
                        prev <= 0;
                        ca <= ca + {32'd0, stride};
                        s0 <= s0 + src_step;
                        chunks_left <= chunks_left - 16'd1;
                        st <= chunks_left == 16'd1 ? IDLE : AW;
                    end else if (w_last) st <= AW;
                end
                default: st <= IDLE;
            endcase
        end
    end
endmodule
