// Read DMA: `count` chunks of `len` bytes, chunk i from byte address
// base + i * stride (any alignment), each written word-aligned into a local
// buffer from word dst + i * dst_step on (16-byte words, the last one of a
// chunk zero-padded). AXI4 read bursts of up to 16 beats of 16 bytes that
// never cross a 4 KB boundary; up to 16 bursts in flight. A command is
// accepted once the previous one has issued its bursts (commands pipeline:
// one's latency hides behind the other's data); `busy` until the last word of
// every accepted command is written. Each command names its destination
// buffer (cmd_buf), carried with its bursts to wr_buf.
module dd_rd_dma (
    input clk,
    input rst,
    input cmd_valid,
    output cmd_ready,
    input [63:0] cmd_base,
    input [31:0] cmd_stride,
    input [15:0] cmd_len,
    input [15:0] cmd_count,
    input [15:0] cmd_dst,
    input [15:0] cmd_dst_step,
    input [1:0] cmd_buf,
    output busy,
    output reg cmd_done,  // a pulse: the last word of a command was written
    output reg ar_valid,
    input ar_ready,
    output reg [63:0] ar_addr,
    output reg [7:0] ar_len,
    input r_valid,
    output r_ready,
    input [127:0] r_data,
    output reg wr_en,
    output reg [1:0] wr_buf,
    output reg [15:0] wr_addr,
    output reg [127:0] wr_data
);
    // ---- burst generator ----
    reg gen;  // chunks left to request
    reg [15:0] chunks_left, len, dst_step, cdst;
    reg [1:0] cbuf;
    reg [31:0] stride;
    reg [63:0] ca, cur;
    reg [15:0] crem;
    reg cfirst;
    wire [3:0] off = cur[3:0];
    wire [16:0] beats_needed = ({13'd0, off} + {1'b0, crem} + 17'd15) >> 4;
    wire [8:0] beats_4k = 9'd256 - {1'b0, cur[11:4]};
    wire [8:0] nb1 = beats_needed < 17'd16 ? beats_needed[8:0] : 9'd16;
    wire [8:0] nb = nb1 < beats_4k ? nb1 : beats_4k;
    wire [12:0] cap = {nb, 4'd0} - {9'd0, off};
    wire [15:0] bytes = {3'd0, cap} < crem ? {3'd0, cap} : crem;
    wire last_of_chunk = bytes == crem;

    // ---- burst FIFO: {command's last, buf, dst, first, last, bytes[8:0], off} ----
    localparam IW = 1 + 2 + 16 + 1 + 1 + 9 + 4;
    reg [IW-1:0] fifo[0:15];
    reg [3:0] wp, rp;
    reg [4:0] fcount;
    wire fifo_full = fcount == 5'd16;
    wire [IW-1:0] head = fifo[rp];
    wire [3:0] h_off = head[3:0];
    wire [8:0] h_bytes = head[12:4];
    wire h_last = head[13];
    wire h_first = head[14];
    wire [15:0] h_dst = head[30:15];
    wire [1:0] h_buf = head[32:31];
    wire h_clast = head[33];

    wire load_ar = gen && !fifo_full && (!ar_valid || ar_ready);
    // ---- realignment ----
    reg [8:0] brem;  // bytes left in the head burst (0: not started)
    reg [255:0] pend;
    reg [4:0] pcnt;
    reg [15:0] d;
    reg flush, fclast;
    reg [1:0] fbuf;
    wire pop;
    assign r_ready = !flush && fcount != 0;
    wire beat = r_valid && r_ready;
    wire started = brem != 9'd0;
    wire [8:0] cur_brem = started ? brem : h_bytes;
    wire cur_first_beat = !started;
    wire [3:0] boff = cur_first_beat ? h_off : 4'd0;
    wire [4:0] room = 5'd16 - {1'b0, boff};
    wire [4:0] taking = {4'd0, cur_brem} < {4'd0, room} ? cur_brem[4:0] : room;
    wire [127:0] shifted = r_data >> {boff, 3'd0};
    reg [127:0] mask;
    integer k;
    always @(*) begin
        for (k = 0; k < 16; k = k + 1) mask[k*8+:8] = (k < taking) ? 8'hff : 8'h00;
    end
    wire chunk_start = cur_first_beat && h_first;
    wire [4:0] pc0 = chunk_start ? 5'd0 : pcnt;
    wire [255:0] pend0 = chunk_start ? 256'd0 : pend;
    wire [255:0] newp = pend0 | ({128'd0, shifted & mask} << {pc0, 3'd0});
    wire [5:0] total = {1'b0, pc0} + {1'b0, taking};
    wire burst_end = {4'd0, taking} == cur_brem;
    wire end_chunk = burst_end && h_last;
    wire [15:0] d_eff = chunk_start ? h_dst : d;
    assign pop = beat && burst_end;

    assign busy = gen || fcount != 5'd0 || flush;
    assign cmd_ready = !gen;

    always @(posedge clk) begin
        wr_en <= 1'b0;
        cmd_done <= 1'b0;
        if (rst) begin
            gen <= 1'b0;
            ar_valid <= 1'b0;
            wp <= 0;
            rp <= 0;
            fcount <= 0;
            brem <= 0;
            pcnt <= 0;
            pend <= 0;
            flush <= 1'b0;
            d <= 0;
        end else begin
            // command
            if (cmd_valid && cmd_ready) begin
                gen <= cmd_count != 16'd0;
                chunks_left <= cmd_count;
                len <= cmd_len;
                stride <= cmd_stride;
                dst_step <= cmd_dst_step;
                ca <= cmd_base;
                cur <= cmd_base;
                crem <= cmd_len;
                cdst <= cmd_dst;
                cbuf <= cmd_buf;
                cfirst <= 1'b1;
            end
            // address channel
            if (ar_valid && ar_ready && !load_ar) ar_valid <= 1'b0;
            if (load_ar) begin
                ar_valid <= 1'b1;
                ar_addr <= {cur[63:4], 4'd0};
                ar_len <= nb[7:0] - 8'd1;
                fifo[wp] <= {last_of_chunk && chunks_left == 16'd1, cbuf, cdst, cfirst, last_of_chunk,
                             bytes[8:0], off};
                wp <= wp + 4'd1;
                if (last_of_chunk) begin
                    chunks_left <= chunks_left - 16'd1;
                    if (chunks_left == 16'd1) gen <= 1'b0;
                    ca <= ca + {32'd0, stride};
                    cur <= ca + {32'd0, stride};
                    crem <= len;
                    cdst <= cdst + dst_step;
                    cfirst <= 1'b1;
                end else begin
                    cur <= cur + {48'd0, bytes};
                    crem <= crem - bytes;
                    cfirst <= 1'b0;
                end
            end
            fcount <= fcount + (load_ar ? 5'd1 : 5'd0) - (pop ? 5'd1 : 5'd0);
            // data channel
            if (flush) begin
                wr_en <= 1'b1;
                wr_buf <= fbuf;
                wr_addr <= d;
                wr_data <= pend[127:0];
                d <= d + 16'd1;
                pend <= 256'd0;
                pcnt <= 5'd0;
                flush <= 1'b0;
                cmd_done <= fclast;
            end else if (beat) begin
                brem <= burst_end ? 9'd0 : cur_brem - {4'd0, taking};
                if (pop) rp <= rp + 4'd1;
                wr_buf <= h_buf;
                fbuf <= h_buf;
                if (total >= 6'd16) begin
                    wr_en <= 1'b1;
                    wr_addr <= d_eff;
                    wr_data <= newp[127:0];
                    d <= d_eff + 16'd1;
                    pend <= newp >> 128;
                    pcnt <= total[4:0] - 5'd16;
                    flush <= end_chunk && total != 6'd16;
                    fclast <= h_clast;
                    cmd_done <= end_chunk && total == 6'd16 && h_clast;
                end else if (end_chunk) begin
                    cmd_done <= h_clast;
                    wr_en <= 1'b1;
                    wr_addr <= d_eff;
                    wr_data <= newp[127:0];
                    d <= d_eff + 16'd1;
                    pend <= 256'd0;
                    pcnt <= 5'd0;
                end else begin
                    d <= d_eff;
                    pend <= newp;
                    pcnt <= total[4:0];
                end
            end
        end
    end
endmodule
