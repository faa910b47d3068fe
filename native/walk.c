/*
 * One part's walk in C (issue 6): what `src/scan/walk.ts` does, with one fstatat per entry relative to
 * its directory's descriptor (as find does) instead of an lstat of the whole path through Node, which
 * also builds a BigIntStats with four Dates per entry. Returns columns, not objects; the JavaScript side
 * (`src/scan/native-walk.ts`) decodes names, orders them as `walkPartSync` does and builds the entries.
 *
 * Breadth-first, a level at a time; each level's entries are sorted by their relative path's bytes.
 * Failures are returned as data: [op, code, relative path], op being "list", "stat" or "readlink".
 *
 * Also `trimMemoryAsync()`: glibc's malloc_trim(0), which Node does not expose, on the thread pool
 * (`releaseFreedMemory` in src/scan/native-walk.ts says why the CLI calls it).
 *
 * Plain N-API (node_api.h, version 8), no other dependency: built by scripts/build-native.mjs.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
  char *rel; /* relative path, NUL-terminated */
  size_t rel_len;
  int err;   /* errno of a failed stat or readlink (`failed`): the entry is reported, not recorded */
  const char *failed;
  uint32_t mode;
  double size;
  uint64_t dev, ino;
  int64_t mtime_ns, ctime_ns;
  char *link; /* symlink target (malloc'd), or NULL */
  size_t link_len;
} item;

typedef struct {
  item *v;
  size_t n, cap;
} items;

typedef struct {
  const char *op;
  const char *code;
  char *rel;
  size_t rel_len;
} failure;

typedef struct {
  failure *v;
  size_t n, cap;
} failures;

typedef struct {
  char *buf;
  size_t len, cap;
} bytes;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * size);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

static int put_bytes(bytes *b, const char *s, size_t n) {
  if (grow((void **)&b->buf, &b->cap, b->len + n + 1, 1)) return -1;
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len++] = '\0';
  return 0;
}

/* The code names Node gives these errors (libuv's), so warnings read as the JavaScript walk's. */
static const char *code_of(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(e);
  if (name) return name;
#endif
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case EIO: return "EIO";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EOVERFLOW: return "EOVERFLOW";
    case ESTALE: return "ESTALE";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    default: return "EIO";
  }
}

static int fail(failures *f, const char *op, int e, const char *rel, size_t rel_len) {
  if (grow((void **)&f->v, &f->cap, f->n + 1, sizeof(failure))) return -1;
  char *r = malloc(rel_len + 1);
  if (!r) return -1;
  memcpy(r, rel, rel_len + 1);
  f->v[f->n++] = (failure){op, code_of(e), r, rel_len};
  return 0;
}

static int by_rel(const void *a, const void *b) {
  return strcmp(((const item *)a)->rel, ((const item *)b)->rel);
}

static char *read_link(int dfd, const char *name, size_t hint, size_t *len, int *err) {
  size_t cap = hint + 1 > 64 ? hint + 1 : 64;
  for (;;) {
    char *buf = malloc(cap);
    if (!buf) { *err = ENOMEM; return NULL; }
    ssize_t n = readlinkat(dfd, name, buf, cap);
    if (n < 0) { *err = errno; free(buf); return NULL; }
    if ((size_t)n < cap) { *len = (size_t)n; return buf; }
    free(buf);
    cap *= 2; /* the target grew since the stat */
  }
}

typedef struct {
  items all;        /* every entry, level after level */
  size_t *level_ends;
  size_t nlevels, levels_cap;
  failures errs;    /* in walk order: a level's list failures, then its stat failures in path order */
} walk_out;

/* Lists `rel` (a directory of the level) and stats its children into `level`. */
static int list_dir(int rootfd, const char *rel, size_t rel_len, items *level, failures *errs) {
  int dfd = rel_len == 0 ? openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                         : openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return fail(errs, "list", errno, rel, rel_len);
  DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return fail(errs, "list", e, rel, rel_len);
  }
  size_t before = level->n;
  struct dirent *de;
  for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
    const char *name = de->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    size_t nlen = strlen(name);
    size_t len = rel_len ? rel_len + 1 + nlen : nlen;
    char *path = malloc(len + 1);
    if (!path) { closedir(d); return -1; }
    if (rel_len) {
      memcpy(path, rel, rel_len);
      path[rel_len] = '/';
      memcpy(path + rel_len + 1, name, nlen + 1);
    } else {
      memcpy(path, name, nlen + 1);
    }
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int e = errno;
      /* Kept with the level, so that its failure is reported in path order with the others. */
      if (grow((void **)&level->v, &level->cap, level->n + 1, sizeof(item))) { free(path); closedir(d); return -1; }
      level->v[level->n++] = (item){path, len, e, "stat", 0, 0, 0, 0, 0, 0, NULL, 0};
      continue;
    }
    item it = {path, len, 0, NULL, (uint32_t)st.st_mode, (double)st.st_size, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
               (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
               (int64_t)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec, NULL, 0};
    if (S_ISLNK(st.st_mode)) {
      it.link = read_link(dfd, name, (size_t)st.st_size, &it.link_len, &it.err);
      if (!it.link) it.failed = "readlink";
    }
    if (grow((void **)&level->v, &level->cap, level->n + 1, sizeof(item))) { free(path); free(it.link); closedir(d); return -1; }
    level->v[level->n++] = it;
  }
  int e = errno;
  closedir(d);
  if (!e) return 0;
  /* A listing cut short failed as a whole, as the JavaScript walk's readdirSync would have: none of it is kept. */
  for (size_t i = before; i < level->n; i++) {
    free(level->v[i].rel);
    free(level->v[i].link);
  }
  level->n = before;
  return fail(errs, "list", e, rel, rel_len);
}

static void free_out(walk_out *o) {
  for (size_t i = 0; i < o->all.n; i++) {
    free(o->all.v[i].rel);
    free(o->all.v[i].link);
  }
  free(o->all.v);
  free(o->level_ends);
  for (size_t i = 0; i < o->errs.n; i++) free(o->errs.v[i].rel);
  free(o->errs.v);
}

/* Frees a level's items from `from` on, and the level itself. */
static void free_level(items *level, size_t from) {
  for (size_t i = from; i < level->n; i++) {
    free(level->v[i].rel);
    free(level->v[i].link);
  }
  free(level->v);
}

/* 0, or -1 when memory ran out. */
static int walk_tree(int rootfd, walk_out *o) {
  /* The current level's directories, as indices into o->all (SIZE_MAX: the root). */
  size_t *dirs = malloc(sizeof(size_t));
  size_t ndirs = 1, dirs_cap = 1;
  if (!dirs) return -1;
  dirs[0] = SIZE_MAX;
  while (ndirs > 0) {
    items level = {0};
    for (size_t k = 0; k < ndirs; k++) {
      const char *rel = dirs[k] == SIZE_MAX ? "" : o->all.v[dirs[k]].rel;
      size_t rel_len = dirs[k] == SIZE_MAX ? 0 : o->all.v[dirs[k]].rel_len;
      if (list_dir(rootfd, rel, rel_len, &level, &o->errs)) { free(dirs); free_level(&level, 0); return -1; }
    }
    qsort(level.v, level.n, sizeof(item), by_rel);
    ndirs = 0;
    for (size_t i = 0; i < level.n; i++) {
      item *it = &level.v[i];
      if (it->err) {
        if (fail(&o->errs, it->failed, it->err, it->rel, it->rel_len)) { free(dirs); free_level(&level, i); return -1; }
        free(it->rel);
        free(it->link);
        continue;
      }
      if (grow((void **)&o->all.v, &o->all.cap, o->all.n + 1, sizeof(item))) { free(dirs); free_level(&level, i); return -1; }
      o->all.v[o->all.n] = *it;
      if (S_ISDIR(it->mode)) {
        if (grow((void **)&dirs, &dirs_cap, ndirs + 1, sizeof(size_t))) { free(dirs); free_level(&level, i + 1); o->all.n++; return -1; }
        dirs[ndirs++] = o->all.n;
      }
      o->all.n++;
    }
    free(level.v);
    if (grow((void **)&o->level_ends, &o->levels_cap, o->nlevels + 1, sizeof(size_t))) { free(dirs); return -1; }
    o->level_ends[o->nlevels++] = o->all.n;
  }
  free(dirs);
  return 0;
}

#define CHECK(call) do { if ((call) != napi_ok) goto napi_fail; } while (0)

static napi_value make_buffer(napi_env env, const char *data, size_t len) {
  napi_value b;
  void *out;
  if (napi_create_buffer_copy(env, len, len ? data : "", &out, &b) != napi_ok) return NULL;
  return b;
}

static napi_value typed(napi_env env, napi_typedarray_type type, size_t n, size_t elem, void **data) {
  napi_value ab, arr;
  if (napi_create_arraybuffer(env, n * elem, data, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, type, n, ab, 0, &arr) != napi_ok) return NULL;
  return arr;
}

/* The columns of a finished walk as a JavaScript object; frees `o`. NULL (an exception pending) on failure. */
static napi_value columns(napi_env env, walk_out *o) {
  napi_value result, v;
  bytes names = {0}, links = {0};
  size_t n = o->all.n;
  for (size_t i = 0; i < n; i++) {
    if (put_bytes(&names, o->all.v[i].rel, o->all.v[i].rel_len)) goto oom;
    if (o->all.v[i].link && put_bytes(&links, o->all.v[i].link, o->all.v[i].link_len)) goto oom;
  }
  CHECK(napi_create_object(env, &result));
  if (!(v = make_buffer(env, names.buf, names.len))) goto napi_fail;
  CHECK(napi_set_named_property(env, result, "names", v));
  if (!(v = make_buffer(env, links.buf, links.len))) goto napi_fail;
  CHECK(napi_set_named_property(env, result, "links", v));

  void *data;
  if (!(v = typed(env, napi_uint32_array, o->nlevels, 4, &data))) goto napi_fail;
  for (size_t i = 0; i < o->nlevels; i++) ((uint32_t *)data)[i] = (uint32_t)o->level_ends[i];
  CHECK(napi_set_named_property(env, result, "levelEnds", v));
  if (!(v = typed(env, napi_uint32_array, n, 4, &data))) goto napi_fail;
  for (size_t i = 0; i < n; i++) ((uint32_t *)data)[i] = o->all.v[i].mode;
  CHECK(napi_set_named_property(env, result, "modes", v));
  if (!(v = typed(env, napi_float64_array, n, 8, &data))) goto napi_fail;
  for (size_t i = 0; i < n; i++) ((double *)data)[i] = o->all.v[i].size;
  CHECK(napi_set_named_property(env, result, "sizes", v));
  if (!(v = typed(env, napi_biguint64_array, 2 * n, 8, &data))) goto napi_fail;
  for (size_t i = 0; i < n; i++) {
    ((uint64_t *)data)[2 * i] = o->all.v[i].dev;
    ((uint64_t *)data)[2 * i + 1] = o->all.v[i].ino;
  }
  CHECK(napi_set_named_property(env, result, "ids", v));
  if (!(v = typed(env, napi_bigint64_array, 2 * n, 8, &data))) goto napi_fail;
  for (size_t i = 0; i < n; i++) {
    ((int64_t *)data)[2 * i] = o->all.v[i].mtime_ns;
    ((int64_t *)data)[2 * i + 1] = o->all.v[i].ctime_ns;
  }
  CHECK(napi_set_named_property(env, result, "times", v));

  napi_value errors;
  CHECK(napi_create_array_with_length(env, o->errs.n, &errors));
  for (size_t i = 0; i < o->errs.n; i++) {
    napi_value e, op, code, rel;
    CHECK(napi_create_array_with_length(env, 3, &e));
    CHECK(napi_create_string_utf8(env, o->errs.v[i].op, NAPI_AUTO_LENGTH, &op));
    CHECK(napi_create_string_utf8(env, o->errs.v[i].code, NAPI_AUTO_LENGTH, &code));
    if (!(rel = make_buffer(env, o->errs.v[i].rel, o->errs.v[i].rel_len))) goto napi_fail;
    CHECK(napi_set_element(env, e, 0, op));
    CHECK(napi_set_element(env, e, 1, code));
    CHECK(napi_set_element(env, e, 2, rel));
    CHECK(napi_set_element(env, errors, (uint32_t)i, e));
  }
  CHECK(napi_set_named_property(env, result, "errors", errors));
  free(names.buf);
  free(links.buf);
  free_out(o);
  return result;

oom:
  free(names.buf);
  free(links.buf);
  free_out(o);
  napi_throw_error(env, "ENOMEM", "out of memory while walking");
  return NULL;
napi_fail:
  free(names.buf);
  free(links.buf);
  free_out(o);
  {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, NULL, "could not build the walk's result");
  }
  return NULL;
}

/* The root argument as a malloc'd C string, or NULL with a TypeError pending. */
static char *root_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "walk(root): root must be a string");
    return NULL;
  }
  char *root = malloc(len + 1);
  if (!root) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], root, len + 1, &len);
  return root;
}

/* 0, or an errno (ENOMEM when memory ran out while walking). */
static int walk_root(const char *root, walk_out *o) {
  int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootfd < 0) return errno;
  int r = walk_tree(rootfd, o);
  close(rootfd);
  if (r) {
    free_out(o);
    return ENOMEM;
  }
  return 0;
}

static napi_value walk_error(napi_env env, int e) {
  napi_value code, msg, err;
  napi_create_string_utf8(env, code_of(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, e == ENOMEM ? "out of memory while walking" : "cannot open the install dir", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  return err;
}

/* walkAsync(root): Promise<{ names, levelEnds, modes, sizes, ids, times, links, errors }>, walked on libuv's
 * thread pool: parts walk in parallel with no worker thread. */
typedef struct {
  char *root;
  int err;
  walk_out out;
  napi_async_work work;
  napi_deferred deferred;
} async_walk;

static void execute(napi_env env, void *data) {
  (void)env;
  async_walk *w = data;
  w->err = walk_root(w->root, &w->out);
}

static void complete(napi_env env, napi_status status, void *data) {
  async_walk *w = data;
  if (status != napi_ok) {
    if (!w->err) free_out(&w->out);
    napi_reject_deferred(env, w->deferred, walk_error(env, EIO));
  } else if (w->err) {
    napi_reject_deferred(env, w->deferred, walk_error(env, w->err));
  } else {
    napi_value result = columns(env, &w->out);
    if (result) napi_resolve_deferred(env, w->deferred, result);
    else {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_reject_deferred(env, w->deferred, exc);
    }
  }
  napi_delete_async_work(env, w->work);
  free(w->root);
  free(w);
}

/* A promise that `complete` settles once `execute` has run on libuv's thread pool with `data`; NULL
 * when the work could not be queued (the caller frees `data`). */
static napi_value queue_work(napi_env env, const char *name, napi_async_execute_callback execute,
                             napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                             napi_async_work *work) {
  napi_value promise, resource;
  if (napi_create_promise(env, deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_async_work(env, NULL, resource, execute, complete, data, work) != napi_ok ||
      napi_queue_async_work(env, *work) != napi_ok)
    return NULL;
  return promise;
}

static napi_value WalkAsync(napi_env env, napi_callback_info info) {
  char *root = root_arg(env, info);
  if (!root) return NULL;
  async_walk *w = calloc(1, sizeof(async_walk));
  if (!w) {
    free(root);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  w->root = root;
  napi_value promise = queue_work(env, "stagefix-walk", execute, complete, w, &w->deferred, &w->work);
  if (!promise) {
    free(root);
    free(w);
    napi_throw_error(env, NULL, "could not start the walk");
    return NULL;
  }
  return promise;
}

/* trimMemoryAsync(): Promise<boolean>, malloc_trim(0) on libuv's thread pool. glibc locks each arena while
 * it trims it, so the main thread goes on allocating meanwhile; called every 100 ms on the main thread,
 * the trim had cost a warm run about 17 ms of its critical path. */
typedef struct {
  int released;
  napi_async_work work;
  napi_deferred deferred;
} async_trim;

static void trim_execute(napi_env env, void *data) {
  (void)env;
  async_trim *t = data;
#ifdef __GLIBC__
  t->released = malloc_trim(0) != 0;
#else
  t->released = 0;
#endif
}

static void trim_complete(napi_env env, napi_status status, void *data) {
  async_trim *t = data;
  napi_value out;
  napi_get_boolean(env, status == napi_ok && t->released, &out);
  napi_resolve_deferred(env, t->deferred, out);
  napi_delete_async_work(env, t->work);
  free(t);
}

static napi_value TrimMemoryAsync(napi_env env, napi_callback_info info) {
  (void)info;
  async_trim *t = calloc(1, sizeof(async_trim));
  if (!t) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_value promise = queue_work(env, "stagefix-trim", trim_execute, trim_complete, t, &t->deferred, &t->work);
  if (!promise) {
    free(t);
    napi_throw_error(env, NULL, "could not start the trim");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trimMemoryAsync", NAPI_AUTO_LENGTH, TrimMemoryAsync, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trimMemoryAsync", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "walkAsync", NAPI_AUTO_LENGTH, WalkAsync, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "walkAsync", fn) != napi_ok) return NULL;
  return exports;
}
