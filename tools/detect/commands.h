/* Subcommands of the detect tool. Each returns the process exit status. */
#ifndef DD_TOOLS_DETECT_COMMANDS_H
#define DD_TOOLS_DETECT_COMMANDS_H

#include <stdio.h>

int dd_cmd_run(int argc, char **argv);
int dd_cmd_info(int argc, char **argv);
int dd_cmd_preprocess(int argc, char **argv);
int dd_cmd_compile(int argc, char **argv);
int dd_cmd_evaluate(int argc, char **argv);
int dd_cmd_pipeline(int argc, char **argv);
int dd_cmd_rtl_bench(int argc, char **argv);

/* Prints "detect: <msg>" as an error and returns 1 (or 2 for usage errors). */
int dd_cmd_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a float/int option value with range checks; prints an error on failure. */
int dd_cmd_parse_float(const char *opt, const char *s, float lo, float hi, float *out);
int dd_cmd_parse_int(const char *opt, const char *s, long lo, long hi, long *out);
/* A backend name of the registry (float_too: or "float", the float executor). */
int dd_cmd_parse_backend(const char *opt, const char *s, int float_too, const char **out);
/* One line per backend of the registry: name and help. */
void dd_cmd_print_backends(FILE *f, int indent);

#endif
