/* mkxclbin: writes an xclbin container (<xclbin.h>: struct axlf) describing
 * detectd's accelerator kernel as XRT sees it: one DDR bank, one compute
 * unit with ap_ctrl_hs control, its four AXI-master arguments connected to
 * the bank, and the embedded metadata (arguments, register offsets from
 * accel/kernel_image.h). It carries no bitstream: it is for XRT's noop
 * shim (tests) and documents the interface a Vitis-built xclbin has.
 *
 * usage: mkxclbin [--kernel NAME] OUT.xclbin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>
#include <xclbin.h>

#include "accel/kernel_image.h"

struct arg {
    const char *name, *type;
    int buffer; /* 1: AXI master (global), 0: scalar */
    unsigned offset;
};

static const struct arg args[] = {
    {"program", "void*", 1, DD_KERNEL_REG_PROGRAM},
    {"blob", "void*", 1, DD_KERNEL_REG_BLOB},
    {"arena", "void*", 1, DD_KERNEL_REG_ARENA},
    {"frame", "void*", 1, DD_KERNEL_REG_FRAME},
    {"tensors_offset", "unsigned int", 0, DD_KERNEL_REG_TENSORS_OFFSET},
    {"first", "unsigned int", 0, DD_KERNEL_REG_FIRST},
    {"count", "unsigned int", 0, DD_KERNEL_REG_COUNT},
    {"frame_format", "unsigned int", 0, DD_KERNEL_REG_FRAME_FORMAT},
    {"frame_width", "unsigned int", 0, DD_KERNEL_REG_FRAME_WIDTH},
    {"frame_height", "unsigned int", 0, DD_KERNEL_REG_FRAME_HEIGHT},
    {"frame_stride", "unsigned int", 0, DD_KERNEL_REG_FRAME_STRIDE},
    {"frame_uv_offset", "unsigned int", 0, DD_KERNEL_REG_FRAME_UV_OFFSET},
    {"frame_uv_stride", "unsigned int", 0, DD_KERNEL_REG_FRAME_UV_STRIDE},
};
#define N_ARGS (sizeof(args) / sizeof(args[0]))
#define N_BUFFERS 4

static size_t metadata(char *out, size_t size, const char *kernel)
{
    size_t n = (size_t)snprintf(
        out, size,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<project name=\"detectd\">\n"
        "  <platform vendor=\"xilinx\" boardid=\"kv260\" name=\"detectd\" featureRomTime=\"0\">\n"
        "    <version major=\"1\" minor=\"0\"/>\n"
        "    <description/>\n"
        "    <board name=\"kv260\" vendor=\"xilinx\" fpgaDevice=\"xck26\"/>\n"
        "    <build_flow/>\n"
        "    <host architecture=\"x86_64\"/>\n"
        "    <device name=\"fpga0\" fpgaDevice=\"xck26\" addrWidth=\"0\">\n"
        "      <core name=\"OCL_REGION_0\" target=\"bitstream\" type=\"clc_region\" "
        "clockFreq=\"300MHz\" numComputeUnits=\"1\">\n"
        "        <kernel name=\"%s\" language=\"c\" vlnv=\"detectd:kernel:%s:1.0\" "
        "preferredWorkGroupSizeMultiple=\"0\" workGroupSize=\"1\" interrupt=\"true\" "
        "hwControlProtocol=\"ap_ctrl_hs\">\n"
        "          <port name=\"S_AXI_CONTROL\" mode=\"slave\" range=\"0x1000\" dataWidth=\"32\" "
        "portType=\"addressable\" base=\"0x0\"/>\n",
        kernel, kernel);
    for (int g = 0; g < N_BUFFERS; g++)
        n += (size_t)snprintf(out + n, size - n,
                              "          <port name=\"M_AXI_GMEM%d\" mode=\"master\" "
                              "range=\"0xFFFFFFFFFFFFFFFF\" dataWidth=\"64\" "
                              "portType=\"addressable\" base=\"0x0\"/>\n",
                              g);
    for (unsigned i = 0; i < N_ARGS; i++) {
        char port[32];
        if (args[i].buffer)
            snprintf(port, sizeof(port), "M_AXI_GMEM%u", i);
        else
            snprintf(port, sizeof(port), "S_AXI_CONTROL");
        n += (size_t)snprintf(out + n, size - n,
                              "          <arg name=\"%s\" addressQualifier=\"%d\" id=\"%u\" "
                              "port=\"%s\" size=\"0x%x\" offset=\"0x%x\" hostOffset=\"0x0\" "
                              "hostSize=\"0x%x\" type=\"%s\"/>\n",
                              args[i].name, args[i].buffer, i, port, args[i].buffer ? 8 : 4,
                              args[i].offset, args[i].buffer ? 8 : 4, args[i].type);
    }
    n += (size_t)snprintf(out + n, size - n,
                          "          <instance name=\"%s_1\">\n"
                          "            <addrRemap base=\"0x0\" range=\"0x10000\" "
                          "port=\"S_AXI_CONTROL\"/>\n"
                          "          </instance>\n"
                          "        </kernel>\n"
                          "      </core>\n"
                          "    </device>\n"
                          "  </platform>\n"
                          "</project>\n",
                          kernel);
    return n;
}

static size_t align8(size_t v)
{
    return (v + 7) & ~(size_t)7;
}

int main(int argc, char **argv)
{
    const char *kernel = "dd_accel_kernel", *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc)
            kernel = argv[++i];
        else if (argv[i][0] != '-' && !out)
            out = argv[i];
        else {
            fprintf(stderr, "usage: mkxclbin [--kernel NAME] OUT.xclbin\n");
            return 2;
        }
    }
    if (!out || strlen(kernel) > 40) {
        fprintf(stderr, "usage: mkxclbin [--kernel NAME (<= 40 chars)] OUT.xclbin\n");
        return 2;
    }

    /* sections */
    struct mem_topology mem;
    memset(&mem, 0, sizeof(mem));
    mem.m_count = 1;
    mem.m_mem_data[0].m_type = MEM_DDR4;
    mem.m_mem_data[0].m_used = 1;
    mem.m_mem_data[0].m_size = 4u << 20; /* KB: 4 GB */
    mem.m_mem_data[0].m_base_address = 0;
    strcpy((char *)mem.m_mem_data[0].m_tag, "bank0");

    struct ip_layout ip;
    memset(&ip, 0, sizeof(ip));
    ip.m_count = 1;
    ip.m_ip_data[0].m_type = IP_KERNEL;
    ip.m_ip_data[0].properties = (AP_CTRL_HS << IP_CONTROL_SHIFT) | IP_INT_ENABLE_MASK;
    ip.m_ip_data[0].m_base_address = 0x80000000ull;
    snprintf((char *)ip.m_ip_data[0].m_name, sizeof(ip.m_ip_data[0].m_name), "%s:%s_1", kernel,
             kernel);

    size_t conn_size = sizeof(struct connectivity) + (N_BUFFERS - 1) * sizeof(struct connection);
    struct connectivity *conn = calloc(1, conn_size);
    conn->m_count = N_BUFFERS;
    for (int i = 0; i < N_BUFFERS; i++) conn->m_connection[i] = (struct connection){i, 0, 0};

    static char xml[16384];
    size_t xml_len = metadata(xml, sizeof(xml), kernel);

    const void *data[4] = {&mem, &ip, conn, xml};
    size_t sizes[4] = {sizeof(mem), sizeof(ip), conn_size, xml_len};
    uint32_t kinds[4] = {MEM_TOPOLOGY, IP_LAYOUT, CONNECTIVITY, EMBEDDED_METADATA};
    const char *names[4] = {"mem_topology", "ip_layout", "connectivity", "metadata"};

    size_t head = sizeof(struct axlf) + 3 * sizeof(struct axlf_section_header);
    size_t offs[4], total = align8(head);
    for (int i = 0; i < 4; i++) {
        offs[i] = total;
        total = align8(total + sizes[i]);
    }
    unsigned char *buf = calloc(1, total);
    struct axlf *a = (struct axlf *)buf;
    memcpy(a->m_magic, "xclbin2", 8);
    a->m_signature_length = -1;
    memset(a->reserved, 0xff, sizeof(a->reserved));
    memset(a->m_keyBlock, 0xff, sizeof(a->m_keyBlock));
    a->m_uniqueId = (uint64_t)time(NULL);
    a->m_header.m_length = total;
    a->m_header.m_timeStamp = (uint64_t)time(NULL);
    a->m_header.m_versionMajor = 2;
    a->m_header.m_versionMinor = 13;
    a->m_header.m_mode = XCLBIN_FLAT;
    snprintf((char *)a->m_header.m_platformVBNV, sizeof(a->m_header.m_platformVBNV),
             "xilinx:kv260:detectd:1.0");
    uuid_generate(a->m_header.uuid);
    a->m_header.m_numSections = 4;
    for (int i = 0; i < 4; i++) {
        struct axlf_section_header *s = &a->m_sections[i];
        s->m_sectionKind = kinds[i];
        snprintf(s->m_sectionName, sizeof(s->m_sectionName), "%s", names[i]);
        s->m_sectionOffset = offs[i];
        s->m_sectionSize = sizes[i];
        memcpy(buf + offs[i], data[i], sizes[i]);
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(buf, 1, total, f) != total || fclose(f) != 0) {
        fprintf(stderr, "<3>mkxclbin: cannot write %s\n", out);
        return 1;
    }
    free(buf);
    free(conn);
    return 0;
}
