// The Verilated accelerator with a DRAM model (see rtl_model.h).
#include "accel/rtl/rtl_model.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>

#include <verilated.h>

#ifdef DD_RTL_HAVE_KV260
#include "Vdd_accel_kv260.h"
#endif
#ifdef DD_RTL_HAVE_Z7020
#include "Vdd_accel_z7020.h"
#endif
#ifdef DD_RTL_HAVE_TINY
#include "Vdd_accel_tiny.h"
#endif

namespace {

struct Region {
    uint64_t base;
    size_t size;
    uint8_t *ptr;
    bool writable;
};

struct ReadBurst {
    uint64_t addr;
    unsigned beats;
    uint64_t ready_at;
};

struct WriteBurst {
    uint64_t addr;
    unsigned beats;
};

// The simulation harness, generic over the Verilated class of a configuration.
class Model {
public:
    virtual ~Model() = default;
    virtual int call(const dd_rtl_call *c, uint64_t budget, dd_rtl_counts *n, char *err,
                     size_t size) = 0;
};

template <class V> class Harness final : public Model {
public:
    explicit Harness(const dd_rtl_dram &d) : dram(d)
    {
        ctx = std::make_unique<VerilatedContext>();
        top = std::make_unique<V>(ctx.get(), "dd_accel");
        reset();
    }
    ~Harness() override { top->final(); }

    int call(const dd_rtl_call *c, uint64_t budget, dd_rtl_counts *n, char *err,
             size_t size) override
    {
        regions[0] = {kBase[0], c->program_size, const_cast<uint8_t *>(c->program), false};
        regions[1] = {kBase[1], c->blob_size, const_cast<uint8_t *>(c->blob), false};
        regions[2] = {kBase[2], c->arena_size, c->arena, true};
        regions[3] = {kBase[3], c->frame_size, const_cast<uint8_t *>(c->frame), false};
        bad_addr = 0;
        bad = false;
        counts = n;
        const uint32_t regs[][2] = {
            {0x04, 1}, {0x08, 1}, // GIE, IER: ap_done raises the interrupt
            {0x10, (uint32_t)kBase[0]}, {0x14, (uint32_t)(kBase[0] >> 32)},
            {0x1c, (uint32_t)kBase[1]}, {0x20, (uint32_t)(kBase[1] >> 32)},
            {0x28, (uint32_t)kBase[2]}, {0x2c, (uint32_t)(kBase[2] >> 32)},
            {0x34, (uint32_t)kBase[3]}, {0x38, (uint32_t)(kBase[3] >> 32)},
            {0x40, c->tensors_offset}, {0x48, c->first}, {0x50, c->count},
            {0x58, c->frame_format}, {0x60, c->frame_width}, {0x68, c->frame_height},
            {0x70, c->frame_stride}, {0x78, c->frame_uv_offset}, {0x80, c->frame_uv_stride},
        };
        for (const auto &r : regs) lite_write(r[0], r[1]);
        lite_write(0x00, 1); // ap_start
        uint64_t t0 = now, last_start = now;
        int32_t cur = -1;
        while (!top->__SYM__interrupt) {
            if (now - t0 > budget) {
                std::snprintf(err, size,
                              "rtlsim: the kernel did not finish within %llu cycles "
                              "(instruction %d running)",
                              (unsigned long long)budget, cur);
                reset();
                return -1;
            }
            cycle();
            if (top->dbg_insn_start) {
                account(cur, now - last_start);
                cur = (int32_t)top->dbg_insn;
                last_start = now;
            }
        }
        account(cur, now - last_start);
        n->cycles += now - t0;
        uint32_t ctrl = lite_read(0x00);
        lite_write(0x0c, 1); // clear the interrupt
        if (!(ctrl & 0x2)) {
            std::snprintf(err, size, "rtlsim: interrupt without ap_done (ctrl 0x%x)", ctrl);
            return -1;
        }
        if (bad) {
            std::snprintf(err, size,
                          "rtlsim: the kernel accessed 0x%llx, outside the buffers it was given",
                          (unsigned long long)bad_addr);
            return -1;
        }
        return 0;
    }

private:
    static constexpr uint64_t kBase[4] = {0x100000000ull, 0x200000000ull, 0x400000000ull,
                                          0x800000000ull};
    dd_rtl_dram dram;
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<V> top;
    Region regions[4] = {};
    std::deque<ReadBurst> rq[4];
    std::deque<WriteBurst> wq;
    std::deque<uint64_t> bq;
    double credit = 0;
    uint64_t now = 0;
    bool bad = false;
    uint64_t bad_addr = 0;
    dd_rtl_counts *counts = nullptr;

    void account(int32_t insn, uint64_t cycles)
    {
        if (insn < 0 || !counts || !counts->insn_cycles) return;
        if ((size_t)insn < counts->n_insn_cycles) counts->insn_cycles[insn] += cycles;
    }

    uint8_t *at(uint64_t addr, bool write)
    {
        for (auto &r : regions)
            if (r.ptr && addr >= r.base && addr < r.base + r.size && (!write || r.writable))
                return r.ptr + (addr - r.base);
        return nullptr;
    }

    void read_beat(uint64_t addr, uint32_t *words)
    {
        uint8_t b[16];
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = at(addr + i, false);
            b[i] = p ? *p : 0;
        }
        // the last beat of a buffer may extend past its end: only a beat wholly outside is bad
        if (!at(addr, false) && !at(addr + 15, false)) {
            bad = true;
            bad_addr = addr;
        }
        std::memcpy(words, b, 16);
    }

    void reset()
    {
        for (auto &q : rq) q.clear();
        wq.clear();
        bq.clear();
        top->ap_rst_n = 0;
        for (int i = 0; i < 4; i++) cycle();
        top->ap_rst_n = 1;
        cycle();
    }

    // AXI4-Lite: one write and one read, as the host does through XRT
    void lite_write(uint32_t addr, uint32_t data)
    {
        top->s_axi_control_AWADDR = addr;
        top->s_axi_control_AWVALID = 1;
        top->s_axi_control_WDATA = data;
        top->s_axi_control_WSTRB = 0xf;
        top->s_axi_control_WVALID = 1;
        top->s_axi_control_BREADY = 1;
        bool aw = false, w = false;
        for (int i = 0; i < 64 && !(aw && w); i++) {
            top->ap_clk = 0;
            top->eval();
            bool awf = top->s_axi_control_AWVALID && top->s_axi_control_AWREADY;
            bool wf = top->s_axi_control_WVALID && top->s_axi_control_WREADY;
            cycle_edge();
            if (awf) aw = true, top->s_axi_control_AWVALID = 0;
            if (wf) w = true, top->s_axi_control_WVALID = 0;
        }
        for (int i = 0; i < 64 && !top->s_axi_control_BVALID; i++) cycle();
        cycle(); // B accepted
        top->s_axi_control_BREADY = 0;
    }

    uint32_t lite_read(uint32_t addr)
    {
        top->s_axi_control_ARADDR = addr;
        top->s_axi_control_ARVALID = 1;
        top->s_axi_control_RREADY = 1;
        for (int i = 0; i < 64; i++) {
            top->ap_clk = 0;
            top->eval();
            bool f = top->s_axi_control_ARVALID && top->s_axi_control_ARREADY;
            cycle_edge();
            if (f) {
                top->s_axi_control_ARVALID = 0;
                break;
            }
        }
        uint32_t v = 0;
        for (int i = 0; i < 64; i++) {
            top->ap_clk = 0;
            top->eval();
            if (top->s_axi_control_RVALID) {
                v = top->s_axi_control_RDATA;
                cycle_edge();
                break;
            }
            cycle_edge();
        }
        top->s_axi_control_RREADY = 0;
        return v;
    }

    // the AXI masters' view of DRAM, one clock edge
#define DD_PORT_IN(k)                                                                              \
    do {                                                                                           \
        auto &q = rq[k];                                                                           \
        top->m_axi_gmem##k##_ARREADY = q.size() < 16;                                              \
        bool rv = !q.empty() && now >= q.front().ready_at && credit >= 16.0;                       \
        top->m_axi_gmem##k##_RVALID = rv;                                                          \
        if (rv) {                                                                                  \
            read_beat(q.front().addr, top->m_axi_gmem##k##_RDATA.data());                          \
            top->m_axi_gmem##k##_RLAST = q.front().beats == 1;                                     \
        }                                                                                          \
        if (!q.empty() && now >= q.front().ready_at && credit < 16.0 && counts)                    \
            counts->read_stall++;                                                                  \
    } while (0)
#define DD_PORT_FIRE(k)                                                                            \
    bool arf##k = top->m_axi_gmem##k##_ARVALID && top->m_axi_gmem##k##_ARREADY;                    \
    uint64_t ara##k = top->m_axi_gmem##k##_ARADDR;                                                 \
    unsigned arl##k = top->m_axi_gmem##k##_ARLEN;                                                  \
    bool rf##k = top->m_axi_gmem##k##_RVALID && top->m_axi_gmem##k##_RREADY;
#define DD_PORT_APPLY(k)                                                                           \
    do {                                                                                           \
        if (arf##k) rq[k].push_back({ara##k, arl##k + 1, now + dram.latency});                     \
        if (rf##k) {                                                                               \
            auto &h = rq[k].front();                                                               \
            h.addr += 16;                                                                          \
            credit -= 16.0;                                                                        \
            if (counts) counts->read_bytes += 16;                                                  \
            if (--h.beats == 0) rq[k].pop_front();                                                 \
        }                                                                                          \
    } while (0)

    void cycle()
    {
        top->ap_clk = 0;
        top->eval();
        cycle_edge();
    }

    void cycle_edge()
    {
        DD_PORT_IN(0);
        DD_PORT_IN(1);
        DD_PORT_IN(2);
        DD_PORT_IN(3);
        top->m_axi_gmem2_AWREADY = wq.size() < 16;
        top->m_axi_gmem2_WREADY = !wq.empty() && credit >= 16.0;
        top->m_axi_gmem2_BVALID = !bq.empty() && now >= bq.front();
        top->m_axi_gmem2_BRESP = 0;
        top->eval();
        DD_PORT_FIRE(0)
        DD_PORT_FIRE(1)
        DD_PORT_FIRE(2)
        DD_PORT_FIRE(3)
        bool awf = top->m_axi_gmem2_AWVALID && top->m_axi_gmem2_AWREADY;
        uint64_t awa = top->m_axi_gmem2_AWADDR;
        unsigned awl = top->m_axi_gmem2_AWLEN;
        bool wf = top->m_axi_gmem2_WVALID && top->m_axi_gmem2_WREADY;
        bool bf = top->m_axi_gmem2_BVALID && top->m_axi_gmem2_BREADY;
        if (wf) {
            auto &h = wq.front();
            uint8_t b[16];
            std::memcpy(b, top->m_axi_gmem2_WDATA.data(), 16);
            uint32_t strb = top->m_axi_gmem2_WSTRB;
            for (int i = 0; i < 16; i++) {
                if (!(strb >> i & 1)) continue;
                uint8_t *p = at(h.addr + i, true);
                if (p) *p = b[i];
                else bad = true, bad_addr = h.addr + i;
                if (counts) counts->write_bytes++;
            }
        }
        top->ap_clk = 1;
        top->eval();
        DD_PORT_APPLY(0);
        DD_PORT_APPLY(1);
        DD_PORT_APPLY(2);
        DD_PORT_APPLY(3);
        if (awf) wq.push_back({awa, awl + 1});
        if (wf) {
            auto &h = wq.front();
            h.addr += 16;
            credit -= 16.0;
            if (--h.beats == 0) {
                wq.pop_front();
                bq.push_back(now + dram.latency / 2);
            }
        }
        if (bf) bq.pop_front();
        credit += dram.bytes_per_cycle;
        if (credit > 64.0) credit = 64.0;
        now++;
    }
};

} // namespace

struct dd_rtl_model {
    std::unique_ptr<Model> m;
};

extern "C" struct dd_rtl_model *dd_rtl_model_create(const struct dd_rtl_config *cfg,
                                                    const struct dd_rtl_dram *dram)
{
    const dd_rtl_dram &d = dram ? *dram : cfg->dram;
    std::unique_ptr<Model> m;
#ifdef DD_RTL_HAVE_KV260
    if (!std::strcmp(cfg->name, "kv260")) m = std::make_unique<Harness<Vdd_accel_kv260>>(d);
#endif
#ifdef DD_RTL_HAVE_Z7020
    if (!std::strcmp(cfg->name, "z7020")) m = std::make_unique<Harness<Vdd_accel_z7020>>(d);
#endif
#ifdef DD_RTL_HAVE_TINY
    if (!std::strcmp(cfg->name, "tiny")) m = std::make_unique<Harness<Vdd_accel_tiny>>(d);
#endif
    if (!m) return nullptr;
    return new dd_rtl_model{std::move(m)};
}

extern "C" void dd_rtl_model_destroy(struct dd_rtl_model *m)
{
    delete m;
}

extern "C" int dd_rtl_model_call(struct dd_rtl_model *m, const struct dd_rtl_call *call,
                                 uint64_t budget, struct dd_rtl_counts *c, char *err,
                                 size_t err_size)
{
    return m->m->call(call, budget, c, err, err_size);
}
