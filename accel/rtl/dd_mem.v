// One-port-write, one-port-read synchronous RAM (block RAM): the read data is
// the word at raddr of the previous clock edge.
module dd_mem #(
    parameter W = 128,  // word width in bits
    parameter AW = 10   // address bits (depth 2^AW)
) (
    input clk,
    input we,
    input [AW-1:0] waddr,
    input [W-1:0] wdata,
    input [AW-1:0] raddr,
    output reg [W-1:0] rdata
);
    reg [W-1:0] mem[0:(1<<AW)-1];
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        rdata <= mem[raddr];
    end
endmodule

// Two 16-byte words per read from one word address space: words a and a+1,
// from an even and an odd bank (block RAMs), one cycle after the address.
// Writes one word at a time.
module dd_pairmem #(
    parameter AW = 12  // word address bits (2^AW words of 16 bytes)
) (
    input clk,
    input we,
    input [AW-1:0] waddr,
    input [127:0] wdata,
    input [AW-1:0] raddr,
    output [255:0] rdata  // {word a+1, word a}
);
    wire [AW-2:0] ra0 = raddr[AW-1:1] + {{(AW - 2) {1'b0}}, raddr[0]};  // even bank: word a or a+1
    wire [AW-2:0] ra1 = raddr[AW-1:1];  // odd bank
    wire [127:0] d0, d1;
    reg odd;
    dd_mem #(128, AW - 1) bank0 (
        clk,
        we & ~waddr[0],
        waddr[AW-1:1],
        wdata,
        ra0,
        d0
    );
    dd_mem #(128, AW - 1) bank1 (
        clk,
        we & waddr[0],
        waddr[AW-1:1],
        wdata,
        ra1,
        d1
    );
    always @(posedge clk) odd <= raddr[0];
    assign rdata = odd ? {d0, d1} : {d1, d0};
endmodule
