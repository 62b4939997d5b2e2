// Write DMA: `count` chunks of `len` bytes from a local buffer (16-byte
// words, chunk i from word src + i * src_step, one cycle read latency) to
// byte address base + i * stride, any alignment. Chunks that touch
// (stride == len) form one run; a run's bytes are packed into one stream of
// 16-byte beats aligned to the destination (byte strobes at both ends) and
// written in AXI4 bursts of up to 16 beats that never cross a 4 KB boundary.
// Otherwise each chunk is a run of its own.
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
    // ---- the command, split into runs ----
    reg active;
    reg [15:0] chunks_left, len, src_step, chunk_src;
    reg [31:0] stride;
    reg [63:0] next_addr;  // the next run's address
    wire contiguous = stride == {16'd0, len};
    // ---- the current run: address generator (AW) ----
    reg aw_run;  // bursts left to issue for the run
    reg [63:0] aw_next;  // next burst's beat address
    reg [23:0] aw_beats_left;
    wire [8:0] beats_4k = 9'd256 - {1'b0, aw_next[11:4]};
    wire [8:0] nb1 = aw_beats_left < 24'd16 ? aw_beats_left[8:0] : 9'd16;
    wire [8:0] nb = nb1 < beats_4k ? nb1 : beats_4k;
    reg [4:0] blen[0:15];  // beats of the bursts issued, for WLAST
    reg [3:0] bw_p, br_p;
    reg [4:0] bcount;
    // ---- the packer (W) ----
    reg pk_run;  // chunks of the run left to read
    reg [15:0] pk_chunks, pk_word;  // chunk counter, word of the chunk
    reg [15:0] pk_rem;  // bytes of the chunk left
    reg [15:0] pk_src;
    reg [255:0] pend;
    reg [31:0] pstrb;
    reg [5:0] pcnt;  // bytes pending (including the leading pad)
    reg rd_v;  // src_data holds the word requested last cycle
    reg flush;  // run ended: emit the partial beat
    reg [15:0] outstanding;
    wire [4:0] take = pk_rem < 16'd16 ? pk_rem[4:0] : 5'd16;
    // a beat is ready when 16 bytes are pending, or at the end of the run
    wire beat_ready = pcnt >= 6'd16 || (flush && pcnt != 6'd0);
    wire [4:0] cur_blen = blen[br_p];
    reg [4:0] wb;  // beat of the current burst
    assign w_valid = beat_ready && bcount != 5'd0;
    assign w_data = pend[127:0];
    assign w_strb = pstrb[15:0];
    assign w_last = wb == cur_blen - 5'd1;
    wire wfire = w_valid && w_ready;
    // consume a word when it is valid and the pending buffer has room after this cycle's beat
    wire room = (pcnt - (wfire ? 6'd16 : 6'd0)) <= 6'd16;
    wire consume = pk_run && rd_v && room;
    wire last_word = pk_rem <= 16'd16;  // this word ends the chunk
    // the word wanted next cycle: the next of this chunk, or the next chunk's first
    assign src_addr = !consume ? pk_src + pk_word :
        (last_word ? pk_src + src_step : pk_src + pk_word + 16'd1);
    assign b_ready = 1'b1;
    assign busy = active || aw_run || pk_run || flush || pcnt != 6'd0 || bcount != 5'd0 ||
        outstanding != 16'd0;
    assign cmd_ready = !busy;
    reg [127:0] mask;
    integer k;
    always @(*)
        for (k = 0; k < 16; k = k + 1) mask[k*8+:8] = (k < take) ? 8'hff : 8'h00;
    wire [255:0] pend_shift = wfire ? pend >> 128 : pend;
    wire [31:0] pstrb_shift = wfire ? pstrb >> 16 : pstrb;
    wire [5:0] pcnt_shift = wfire ? pcnt - 6'd16 : pcnt;
    wire aw_issue = aw_run && (!aw_valid || aw_ready) && bcount < 5'd15;
    wire start_run = active && !aw_run && !pk_run && !flush && pcnt == 6'd0 && chunks_left != 0;
    wire [15:0] nrun = contiguous ? chunks_left : 16'd1;
    wire [31:0] run_bytes = {16'd0, nrun} * {16'd0, len};

    always @(posedge clk) begin
        if (rst) begin
            active <= 1'b0;
            aw_run <= 1'b0;
            aw_valid <= 1'b0;
            pk_run <= 1'b0;
            flush <= 1'b0;
            pcnt <= 0;
            pend <= 0;
            pstrb <= 0;
            bw_p <= 0;
            br_p <= 0;
            bcount <= 0;
            wb <= 0;
            rd_v <= 1'b0;
            outstanding <= 0;
        end else begin
            outstanding <= outstanding + (aw_valid && aw_ready ? 16'd1 : 16'd0) -
                (b_valid ? 16'd1 : 16'd0);
            if (cmd_valid && cmd_ready && cmd_count != 16'd0) begin
                active <= 1'b1;
                chunks_left <= cmd_count;
                len <= cmd_len;
                stride <= cmd_stride;
                src_step <= cmd_src_step;
                next_addr <= cmd_base;
                chunk_src <= cmd_src;
            end
            // a new run: its bursts and its bytes
            if (start_run) begin
                aw_run <= 1'b1;
                aw_next <= {next_addr[63:4], 4'd0};
                aw_beats_left <= (run_bytes[23:0] + {20'd0, next_addr[3:0]} + 24'd15) >> 4;
                pk_run <= 1'b1;
                pk_chunks <= nrun;
                pk_word <= 0;
                pk_rem <= len;
                pk_src <= chunk_src;
                rd_v <= 1'b0;
                // the leading pad: bytes of the first beat before the destination
                pcnt <= {2'd0, next_addr[3:0]};
                pend <= 0;
                pstrb <= 0;
                chunks_left <= chunks_left - nrun;
                chunk_src <= chunk_src + nrun * src_step;
                next_addr <= next_addr + {32'd0, stride * {16'd0, nrun}};
                if (chunks_left == nrun) active <= 1'b0;
            end
            // AW: the run's bursts
            if (aw_valid && aw_ready) aw_valid <= 1'b0;
            if (aw_issue) begin
                aw_valid <= 1'b1;
                aw_addr <= aw_next;
                aw_len <= nb[7:0] - 8'd1;
                blen[bw_p] <= nb[4:0];
                bw_p <= bw_p + 4'd1;
                aw_next <= aw_next + {51'd0, nb, 4'd0};
                aw_beats_left <= aw_beats_left - {15'd0, nb};
                if (aw_beats_left == {15'd0, nb}) aw_run <= 1'b0;
            end
            // the packer: one source word per cycle
            if (!start_run) begin
                rd_v <= pk_run && !(consume && pk_chunks == 16'd1 && last_word);
                pend <= pend_shift;
                pstrb <= pstrb_shift;
                pcnt <= pcnt_shift;
                if (consume) begin
                    pend <= pend_shift | ({128'd0, src_data & mask} << {pcnt_shift, 3'd0});
                    pstrb <= pstrb_shift | ({16'd0, ~16'd0 >> (5'd16 - take)} << pcnt_shift);
                    pcnt <= pcnt_shift + {1'b0, take};
                    if (last_word) begin
                        pk_word <= 0;
                        pk_rem <= len;
                        pk_src <= pk_src + src_step;
                        pk_chunks <= pk_chunks - 16'd1;
                        if (pk_chunks == 16'd1) begin
                            pk_run <= 1'b0;
                            flush <= 1'b1;
                        end
                    end else begin
                        pk_word <= pk_word + 16'd1;
                        pk_rem <= pk_rem - {11'd0, take};
                    end
                end
                if (flush && pcnt_shift == 6'd0 && !consume) flush <= 1'b0;
                if (flush && wfire && pcnt <= 6'd16) begin  // the partial last beat went out
                    pcnt <= 6'd0;
                    pstrb <= 0;
                    flush <= 1'b0;
                end
            end
            // W: beats of the issued bursts
            bcount <= bcount + (aw_issue ? 5'd1 : 5'd0) - ((wfire && w_last) ? 5'd1 : 5'd0);
            if (wfire) begin
                if (w_last) begin
                    wb <= 0;
                    br_p <= br_p + 4'd1;
                end else wb <= wb + 5'd1;
            end
        end
    end
endmodule
