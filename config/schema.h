/* The config schema: one table row per key (config/schema.c). The parser,
 * the reload diff and the sample config all read this table. */
#ifndef DD_CONFIG_SCHEMA_H
#define DD_CONFIG_SCHEMA_H

#include <stddef.h>

enum dd_cfg_type {
    DD_CFG_STRING,
    DD_CFG_BOOL,
    DD_CFG_INT,          /* int in [min, max]; "auto" stores 0 when DD_CFG_AUTO */
    DD_CFG_FLOAT,        /* float in [min, max]; "auto" stores NaN when DD_CFG_AUTO */
    DD_CFG_ENUM,         /* one of choices' names, stored as its value (an int-sized enum) */
    DD_CFG_BACKEND,      /* a backend of the registry (string); DD_CFG_NONE: or none */
    DD_CFG_SIZE,         /* WIDTHxHEIGHT or auto (struct dd_cfg_size) */
    DD_CFG_ROI,          /* x0,y0,x1,y1 fractions or none (struct dd_cfg_roi) */
    DD_CFG_CLASSES,      /* comma-separated class names (string) */
    DD_CFG_CLASS_SCORES, /* comma-separated name:score pairs (string) */
    DD_CFG_LISTEN,       /* HOST:PORT (string) */
    DD_CFG_ZONE,         /* NAME: x,y x,y x,y ... or empty (string, tracking/zones.h) */
    DD_CFG_LINE,         /* NAME: x,y x,y or empty (string, tracking/zones.h) */
};

#define DD_CFG_AUTO 1u /* "auto" accepted: the model's / source's own */
#define DD_CFG_NONE 2u /* DD_CFG_BACKEND: "none" accepted */

/* One accepted word of a DD_CFG_ENUM key and the enum value it stores. */
struct dd_cfg_choice {
    const char *name;
    int value;
};

struct dd_cfg_key {
    const char *section, *name;
    enum dd_cfg_type type;
    const char *def; /* default, in the file's syntax */
    double min, max;
    const struct dd_cfg_choice *choices; /* DD_CFG_ENUM: ends with {NULL, 0} */
    unsigned flags;
    unsigned apply; /* enum dd_cfg_apply */
    size_t offset, size;
    const char *help;
};

struct dd_cfg_section {
    const char *name, *help;
};

extern const struct dd_cfg_key dd_cfg_keys[];
extern const size_t dd_cfg_n_keys;
extern const struct dd_cfg_section dd_cfg_sections[];
/* The choices of [model] rtl_config, in the order of dd_rtl_configs. */
extern const struct dd_cfg_choice dd_cfg_rtl_configs[];
extern const size_t dd_cfg_n_sections;

#endif
