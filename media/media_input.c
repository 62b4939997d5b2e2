#include "media/media_input.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/video_file.h"

struct dd_media_input {
    char **files; /* still images (one for a single image) */
    int n_files;
    struct dd_video_file *video;
    int next;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct dd_media_input *m, const char *path)
{
    char **f = realloc(m->files, (size_t)(m->n_files + 1) * sizeof(*f));
    if (!f) return -1;
    m->files = f;
    f[m->n_files] = strdup(path);
    return f[m->n_files] ? (m->n_files++, 0) : -1;
}

static int open_dir(struct dd_media_input *m, const char *dir, struct dd_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return dd_err_set(err, "%s: cannot open directory", dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char p[PATH_MAX];
        if (e->d_name[0] == '.') continue;
        if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p)) continue;
        if (dd_image_is_still(p) && add_file(m, p) != 0) rc = dd_err_set(err, "out of memory");
    }
    closedir(d);
    if (rc == 0 && m->n_files == 0) rc = dd_err_set(err, "%s: no JPEG or PNG images", dir);
    if (rc == 0) qsort(m->files, (size_t)m->n_files, sizeof(char *), cmp_names);
    return rc;
}

int dd_media_input_open(const char *path, struct dd_media_input **out, struct dd_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) return dd_err_set(err, "%s: no such file or directory", path);
    struct dd_media_input *m = calloc(1, sizeof(*m));
    if (!m) return dd_err_set(err, "out of memory");
    int rc;
    if (S_ISDIR(st.st_mode))
        rc = open_dir(m, path, err);
    else if (dd_image_is_still(path))
        rc = add_file(m, path) ? dd_err_set(err, "out of memory") : 0;
    else
        rc = dd_video_file_open(path, &m->video, err);
    if (rc != 0) {
        dd_media_input_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

void dd_media_input_close(struct dd_media_input *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_files; i++) free(m->files[i]);
    free(m->files);
    dd_video_file_close(m->video);
    free(m);
}

int dd_media_input_next(struct dd_media_input *m, struct dd_image *img, int *index,
                        struct dd_err *err)
{
    if (m->video) {
        int rc = dd_video_file_read(m->video, img, err);
        if (rc == 1) *index = m->next++;
        return rc;
    }
    if (m->next >= m->n_files) return 0;
    dd_image_destroy(img);
    if (dd_image_load(m->files[m->next], img, err) != 0) return -1;
    *index = m->next++;
    return 1;
}

int dd_media_load_frame(const char *path, long frame, struct dd_image *img, struct dd_err *err)
{
    struct dd_media_input *m;
    if (dd_media_input_open(path, &m, err) != 0) return -1;
    int idx = -1, rc;
    while ((rc = dd_media_input_next(m, img, &idx, err)) == 1 && idx < frame) {
    }
    dd_media_input_close(m);
    if (rc == 0) return dd_err_set(err, "%s has no frame %ld", path, frame);
    return rc == 1 ? 0 : -1;
}
