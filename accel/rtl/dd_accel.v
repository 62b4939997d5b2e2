// The accelerator kernel `dd_accel_kernel` as RTL: the execution unit
// (dd_eu) behind the interfaces Vitis HLS gave the C kernel, so that the XRT
// host code and the xclbin description stay as they are:
//   s_axi_control  AXI4-Lite, ap_ctrl_hs, the register map of
//                  accel/hls/dd_kernel.h (DD_HLS_REG_*)
//   m_axi_gmem0..3 AXI4 masters (128-bit data): program, blob, arena
//                  (read and write), frame
module dd_accel #(
    parameter OCT = 32,
    parameter MUL_DSP = 1,
    parameter IB_AW = 12,
    parameter WB_AW = 9,
    parameter OB_AW = 10,
    parameter FB_AW = 10
) (
    input ap_clk,
    input ap_rst_n,
    output interrupt,
    // AXI4-Lite control
    input [7:0] s_axi_control_AWADDR,
    input s_axi_control_AWVALID,
    output s_axi_control_AWREADY,
    input [31:0] s_axi_control_WDATA,
    input [3:0] s_axi_control_WSTRB,
    input s_axi_control_WVALID,
    output s_axi_control_WREADY,
    output [1:0] s_axi_control_BRESP,
    output reg s_axi_control_BVALID,
    input s_axi_control_BREADY,
    input [7:0] s_axi_control_ARADDR,
    input s_axi_control_ARVALID,
    output s_axi_control_ARREADY,
    output reg [31:0] s_axi_control_RDATA,
    output [1:0] s_axi_control_RRESP,
    output reg s_axi_control_RVALID,
    input s_axi_control_RREADY,
    // AXI4 masters: read channels of all four, write channels of gmem2 (arena)
    output [63:0] m_axi_gmem0_ARADDR,
    output [7:0] m_axi_gmem0_ARLEN,
    output [2:0] m_axi_gmem0_ARSIZE,
    output [1:0] m_axi_gmem0_ARBURST,
    output m_axi_gmem0_ARVALID,
    input m_axi_gmem0_ARREADY,
    input [127:0] m_axi_gmem0_RDATA,
    input m_axi_gmem0_RLAST,
    input m_axi_gmem0_RVALID,
    output m_axi_gmem0_RREADY,
    output [63:0] m_axi_gmem1_ARADDR,
    output [7:0] m_axi_gmem1_ARLEN,
    output [2:0] m_axi_gmem1_ARSIZE,
    output [1:0] m_axi_gmem1_ARBURST,
    output m_axi_gmem1_ARVALID,
    input m_axi_gmem1_ARREADY,
    input [127:0] m_axi_gmem1_RDATA,
    input m_axi_gmem1_RLAST,
    input m_axi_gmem1_RVALID,
    output m_axi_gmem1_RREADY,
    output [63:0] m_axi_gmem2_ARADDR,
    output [7:0] m_axi_gmem2_ARLEN,
    output [2:0] m_axi_gmem2_ARSIZE,
    output [1:0] m_axi_gmem2_ARBURST,
    output m_axi_gmem2_ARVALID,
    input m_axi_gmem2_ARREADY,
    input [127:0] m_axi_gmem2_RDATA,
    input m_axi_gmem2_RLAST,
    input m_axi_gmem2_RVALID,
    output m_axi_gmem2_RREADY,
    output [63:0] m_axi_gmem2_AWADDR,
    output [7:0] m_axi_gmem2_AWLEN,
    output [2:0] m_axi_gmem2_AWSIZE,
    output [1:0] m_axi_gmem2_AWBURST,
    output m_axi_gmem2_AWVALID,
    input m_axi_gmem2_AWREADY,
    output [127:0] m_axi_gmem2_WDATA,
    output [15:0] m_axi_gmem2_WSTRB,
    output m_axi_gmem2_WLAST,
    output m_axi_gmem2_WVALID,
    input m_axi_gmem2_WREADY,
    input [1:0] m_axi_gmem2_BRESP,
    input m_axi_gmem2_BVALID,
    output m_axi_gmem2_BREADY,
    output [63:0] m_axi_gmem3_ARADDR,
    output [7:0] m_axi_gmem3_ARLEN,
    output [2:0] m_axi_gmem3_ARSIZE,
    output [1:0] m_axi_gmem3_ARBURST,
    output m_axi_gmem3_ARVALID,
    input m_axi_gmem3_ARREADY,
    input [127:0] m_axi_gmem3_RDATA,
    input m_axi_gmem3_RLAST,
    input m_axi_gmem3_RVALID,
    output m_axi_gmem3_RREADY,
    // observation (simulation and ILA): the instruction running
    output [31:0] dbg_insn,
    output dbg_insn_start
);
    wire rst = !ap_rst_n;
    // ---- control registers ----
    reg [31:0] r_prog_lo, r_prog_hi, r_blob_lo, r_blob_hi, r_arena_lo, r_arena_hi;
    reg [31:0] r_frame_lo, r_frame_hi, r_toff, r_first, r_count, r_fmt, r_fw, r_fh, r_fs;
    reg [31:0] r_uvo, r_uvs;
    reg gie, ier_done, isr_done, ap_start, ap_done_cor;
    wire core_done, core_idle;
    // write channel: address and data may come in either order
    reg [7:0] awaddr;
    reg aw_have, w_have;
    reg [31:0] wdata;
    assign s_axi_control_AWREADY = !aw_have && !s_axi_control_BVALID;
    assign s_axi_control_WREADY = !w_have && !s_axi_control_BVALID;
    assign s_axi_control_BRESP = 2'b00;
    assign s_axi_control_RRESP = 2'b00;
    assign s_axi_control_ARREADY = !s_axi_control_RVALID;
    wire do_write = aw_have && w_have;
    always @(posedge ap_clk) begin
        if (rst) begin
            aw_have <= 1'b0;
            w_have <= 1'b0;
            s_axi_control_BVALID <= 1'b0;
            s_axi_control_RVALID <= 1'b0;
            ap_start <= 1'b0;
            ap_done_cor <= 1'b0;
            gie <= 1'b0;
            ier_done <= 1'b0;
            isr_done <= 1'b0;
        end else begin
            if (s_axi_control_AWVALID && s_axi_control_AWREADY) begin
                awaddr <= s_axi_control_AWADDR;
                aw_have <= 1'b1;
            end
            if (s_axi_control_WVALID && s_axi_control_WREADY) begin
                wdata <= s_axi_control_WDATA;
                w_have <= 1'b1;
            end
            if (s_axi_control_BVALID && s_axi_control_BREADY) s_axi_control_BVALID <= 1'b0;
            if (core_done) begin
                ap_done_cor <= 1'b1;
                if (ier_done) isr_done <= 1'b1;
            end
            if (ap_start && core_idle) ap_start <= 1'b0;  // accepted (ap_ready)
            if (do_write) begin
                aw_have <= 1'b0;
                w_have <= 1'b0;
                s_axi_control_BVALID <= 1'b1;
                case (awaddr)
                    8'h00: if (wdata[0]) ap_start <= 1'b1;
                    8'h04: gie <= wdata[0];
                    8'h08: ier_done <= wdata[0];
                    8'h0c: if (wdata[0]) isr_done <= 1'b0;  // toggle on write
                    8'h10: r_prog_lo <= wdata;
                    8'h14: r_prog_hi <= wdata;
                    8'h1c: r_blob_lo <= wdata;
                    8'h20: r_blob_hi <= wdata;
                    8'h28: r_arena_lo <= wdata;
                    8'h2c: r_arena_hi <= wdata;
                    8'h34: r_frame_lo <= wdata;
                    8'h38: r_frame_hi <= wdata;
                    8'h40: r_toff <= wdata;
                    8'h48: r_first <= wdata;
                    8'h50: r_count <= wdata;
                    8'h58: r_fmt <= wdata;
                    8'h60: r_fw <= wdata;
                    8'h68: r_fh <= wdata;
                    8'h70: r_fs <= wdata;
                    8'h78: r_uvo <= wdata;
                    8'h80: r_uvs <= wdata;
                    default: ;
                endcase
            end
            if (s_axi_control_RVALID && s_axi_control_RREADY) s_axi_control_RVALID <= 1'b0;
            if (s_axi_control_ARVALID && s_axi_control_ARREADY) begin
                s_axi_control_RVALID <= 1'b1;
                case (s_axi_control_ARADDR)
                    8'h00: begin
                        s_axi_control_RDATA <= {28'd0, core_idle && !ap_start, core_idle && !ap_start,
                                                ap_done_cor, ap_start};
                        ap_done_cor <= 1'b0;  // clear on read
                    end
                    8'h04: s_axi_control_RDATA <= {31'd0, gie};
                    8'h08: s_axi_control_RDATA <= {31'd0, ier_done};
                    8'h0c: s_axi_control_RDATA <= {31'd0, isr_done};
                    8'h10: s_axi_control_RDATA <= r_prog_lo;
                    8'h14: s_axi_control_RDATA <= r_prog_hi;
                    8'h40: s_axi_control_RDATA <= r_toff;
                    8'h48: s_axi_control_RDATA <= r_first;
                    8'h50: s_axi_control_RDATA <= r_count;
                    default: s_axi_control_RDATA <= 32'd0;
                endcase
            end
        end
    end
    assign interrupt = gie && isr_done;

    // ---- the execution unit ----
    wire [1:0] port;
    wire ar_valid, r_ready;
    wire [63:0] ar_addr;
    wire [7:0] ar_len;
    reg ar_ready, r_valid;
    reg [127:0] r_data;
    dd_eu #(
        .OCT(OCT),
        .MUL_DSP(MUL_DSP),
        .IB_AW(IB_AW),
        .WB_AW(WB_AW),
        .OB_AW(OB_AW),
        .FB_AW(FB_AW)
    ) eu (
        .clk(ap_clk),
        .rst(rst),
        .start(ap_start && core_idle),
        .done(core_done),
        .idle(core_idle),
        .prog({r_prog_hi, r_prog_lo}),
        .blob({r_blob_hi, r_blob_lo}),
        .arena({r_arena_hi, r_arena_lo}),
        .frame({r_frame_hi, r_frame_lo}),
        .tensors_offset(r_toff),
        .first(r_first),
        .count(r_count),
        .f_format(r_fmt),
        .f_width(r_fw),
        .f_height(r_fh),
        .f_stride(r_fs),
        .f_uv_offset(r_uvo),
        .f_uv_stride(r_uvs),
        .rd_port(port),
        .ar_valid(ar_valid),
        .ar_ready(ar_ready),
        .ar_addr(ar_addr),
        .ar_len(ar_len),
        .r_valid(r_valid),
        .r_ready(r_ready),
        .r_data(r_data),
        .aw_valid(m_axi_gmem2_AWVALID),
        .aw_ready(m_axi_gmem2_AWREADY),
        .aw_addr(m_axi_gmem2_AWADDR),
        .aw_len(m_axi_gmem2_AWLEN),
        .w_valid(m_axi_gmem2_WVALID),
        .w_ready(m_axi_gmem2_WREADY),
        .w_data(m_axi_gmem2_WDATA),
        .w_strb(m_axi_gmem2_WSTRB),
        .w_last(m_axi_gmem2_WLAST),
        .b_valid(m_axi_gmem2_BVALID),
        .b_ready(m_axi_gmem2_BREADY),
        .insn_index(dbg_insn),
        .insn_start(dbg_insn_start)
    );
    // one read DMA, routed to the port of its current command
    assign m_axi_gmem0_ARADDR = ar_addr;
    assign m_axi_gmem1_ARADDR = ar_addr;
    assign m_axi_gmem2_ARADDR = ar_addr;
    assign m_axi_gmem3_ARADDR = ar_addr;
    assign m_axi_gmem0_ARLEN = ar_len;
    assign m_axi_gmem1_ARLEN = ar_len;
    assign m_axi_gmem2_ARLEN = ar_len;
    assign m_axi_gmem3_ARLEN = ar_len;
    assign m_axi_gmem0_ARSIZE = 3'd4;
    assign m_axi_gmem1_ARSIZE = 3'd4;
    assign m_axi_gmem2_ARSIZE = 3'd4;
    assign m_axi_gmem3_ARSIZE = 3'd4;
    assign m_axi_gmem2_AWSIZE = 3'd4;
    assign m_axi_gmem0_ARBURST = 2'b01;
    assign m_axi_gmem1_ARBURST = 2'b01;
    assign m_axi_gmem2_ARBURST = 2'b01;
    assign m_axi_gmem3_ARBURST = 2'b01;
    assign m_axi_gmem2_AWBURST = 2'b01;
    assign m_axi_gmem0_ARVALID = ar_valid && port == 2'd0;
    assign m_axi_gmem1_ARVALID = ar_valid && port == 2'd1;
    assign m_axi_gmem2_ARVALID = ar_valid && port == 2'd2;
    assign m_axi_gmem3_ARVALID = ar_valid && port == 2'd3;
    assign m_axi_gmem0_RREADY = r_ready && port == 2'd0;
    assign m_axi_gmem1_RREADY = r_ready && port == 2'd1;
    assign m_axi_gmem2_RREADY = r_ready && port == 2'd2;
    assign m_axi_gmem3_RREADY = r_ready && port == 2'd3;
    always @(*) begin
        case (port)
            2'd0: begin
                ar_ready = m_axi_gmem0_ARREADY;
                r_valid = m_axi_gmem0_RVALID;
                r_data = m_axi_gmem0_RDATA;
            end
            2'd1: begin
                ar_ready = m_axi_gmem1_ARREADY;
                r_valid = m_axi_gmem1_RVALID;
                r_data = m_axi_gmem1_RDATA;
            end
            2'd2: begin
                ar_ready = m_axi_gmem2_ARREADY;
                r_valid = m_axi_gmem2_RVALID;
                r_data = m_axi_gmem2_RDATA;
            end
            default: begin
                ar_ready = m_axi_gmem3_ARREADY;
                r_valid = m_axi_gmem3_RVALID;
                r_data = m_axi_gmem3_RDATA;
            end
        endcase
    end
endmodule
