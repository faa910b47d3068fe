/*
 * The least a content check can cost on this machine: read once every file in a NUL-separated list, on
 * THREADS threads, with nothing else (no walk, no hashing, no runtime start-up). bench/run.ts builds it
 * with the system C compiler and runs it over each tree's shared regular files, beside the single-stream
 * `find` + `cat` floor the issue names, so that what any checker could reach is measured, not guessed.
 *
 *   read-floor LIST THREADS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF (256 * 1024)

static char **paths;
static size_t count;
static size_t next_path;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg) {
  (void)arg;
  char *buf = malloc(BUF);
  if (!buf) return (void *)1;
  for (;;) {
    pthread_mutex_lock(&lock);
    size_t i = next_path++;
    pthread_mutex_unlock(&lock);
    if (i >= count) break;
    int fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    while (read(fd, buf, BUF) > 0) {
    }
    close(fd);
  }
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: read-floor LIST THREADS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  size_t cap = 1 << 20, len = 0;
  char *list = malloc(cap + 1);
  for (size_t n; list && (n = fread(list + len, 1, cap - len, f)) > 0;) {
    len += n;
    if (len == cap) list = realloc(list, (cap *= 2) + 1);
  }
  fclose(f);
  if (!list) return 2;
  list[len] = '\0';
  paths = malloc(sizeof(char *) * (len / 2 + 1));
  for (char *p = list; p < list + len; p += strlen(p) + 1) paths[count++] = p;
  int threads = atoi(argv[2]);
  if (threads < 1 || threads > 64) threads = 1;
  pthread_t ids[64];
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, reader, NULL);
  for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  return 0;
}
