/*
 * uks-workload: the guest-side probe program of `ukspace-lab calibrate`.
 *
 * Built on the host with `gcc -m32 -static -O2` and run as /bin/uks-workload in
 * the i386 guest.  Every result is printed as one machine-readable line that
 * starts with "UKS " followed by key=value pairs.
 *
 *   meminfo TAG                 one memory snapshot (after vm.stat_refresh)
 *   pt SEG_MIB TASKS TOUCHES    fork N tasks over a shared 2 MiB-aligned
 *                               MAP_SHARED|MAP_ANONYMOUS segment; TASKS and
 *                               TOUCHES are comma lists (touch: none, sparse
 *                               = one page per 2 MiB, dense = every page;
 *                               "dense:10" = dense only when N <= 10)
 *   hold MIB READYFILE          keep MIB of private anonymous memory touched
 *                               and alive; write "pid addr" to READYFILE
 *   memread PID ADDR BYTES      read another task's memory via /proc/PID/mem
 *   fill PATH MIB               write a MIB-sized file (tmpfs page cache)
 *   read PATH BUFSIZE           read a file to the end
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define PTE_SPAN (2UL * MIB) /* one PAE PTE page maps 2 MiB */
#define PAGE 4096UL
#define MAX_TASKS 4096

/* /proc/meminfo fields reported in every snapshot (values in kB). */
static const char *const fields[] = {
	"MemTotal", "MemFree", "LowTotal", "LowFree", "HighTotal", "HighFree",
	"PageTables", "KernelStack", "Slab", "SUnreclaim", "Shmem", "AnonHugePages",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct snapshot {
	long kb[NFIELDS];
	long low_pcp_kb;  /* pages on per-CPU free lists of DMA+Normal, in kB */
	long high_pcp_kb; /* same for HighMem */
};

static void die(const char *what)
{
	fprintf(stdout, "UKS kind=error what=%s errno=%d\n", what, errno);
	fflush(stdout);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fold per-CPU vmstat deltas into the global counters (makes PageTables exact). */
static void stat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1\n", 2) < 0)
			perror("stat_refresh");
		close(fd);
	}
}

static void read_meminfo(struct snapshot *s)
{
	char name[64];
	long value;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("open_meminfo");
	while (fscanf(f, "%63[^:]: %ld%*[^\n]\n", name, &value) == 2)
		for (size_t i = 0; i < NFIELDS; i++)
			if (strcmp(name, fields[i]) == 0)
				s->kb[i] = value;
	fclose(f);
}

/* Sum the per-CPU free-list "count:" lines of /proc/zoneinfo by zone. */
static void read_pcp(struct snapshot *s)
{
	char line[256];
	int high = 0;
	long count;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("open_zoneinfo");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Node", 4) == 0)
			high = strstr(line, "HighMem") != NULL;
		else if (sscanf(line, " count: %ld", &count) == 1)
			*(high ? &s->high_pcp_kb : &s->low_pcp_kb) += count * (long)(PAGE / 1024);
	}
	fclose(f);
}

static void take_snapshot(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	stat_refresh();
	read_meminfo(s);
	read_pcp(s);
}

static void print_snapshot(const char *prefix, const struct snapshot *s)
{
	for (size_t i = 0; i < NFIELDS; i++)
		printf(" %s%s=%ld", prefix, fields[i], s->kb[i]);
	printf(" %sLowPcp=%ld %sHighPcp=%ld", prefix, s->low_pcp_kb, prefix, s->high_pcp_kb);
}

static int cmd_meminfo(const char *tag)
{
	struct snapshot s;

	take_snapshot(&s);
	printf("UKS kind=meminfo tag=%s", tag);
	print_snapshot("", &s);
	printf("\n");
	return 0;
}

/* A shared anonymous segment at a 2 MiB-aligned address (PTE pages not shared with neighbours). */
static char *map_aligned_shared(unsigned long bytes)
{
	char *area = mmap(NULL, bytes + PTE_SPAN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *seg;
	unsigned long start;

	if (area == MAP_FAILED)
		die("reserve");
	start = ((unsigned long)area + PTE_SPAN - 1) & ~(PTE_SPAN - 1);
	seg = mmap((void *)start, bytes, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (seg == MAP_FAILED)
		die("map_shared");
	return seg;
}

static void touch(const char *seg, unsigned long bytes, const char *mode)
{
	volatile const char *p = seg;
	unsigned long stride = strcmp(mode, "dense") == 0 ? PAGE : PTE_SPAN;
	unsigned long sum = 0;

	if (strcmp(mode, "none") == 0)
		return;
	for (unsigned long off = 0; off < bytes; off += stride)
		sum += p[off];
	if (sum == 1)
		printf("#\n"); /* keep the loads */
}

/* VmPTE of /proc/self/status: this mm's pagetable bytes (PTE and PMD pages), in kB. */
static long self_vmpte_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Child: touch the segment, send its VmPTE as "ready", then wait for the parent to close `go`. */
static void child_round(const char *seg, unsigned long bytes, const char *mode, int ready_fd,
			int go_fd)
{
	long vmpte;
	char c;

	touch(seg, bytes, mode);
	vmpte = self_vmpte_kb();
	if (write(ready_fd, &vmpte, sizeof(vmpte)) != sizeof(vmpte))
		_exit(2);
	while (read(go_fd, &c, 1) > 0)
		;
	_exit(0);
}

struct vmpte_stats {
	long min, max, sum;
};

static void spawn_round(const char *seg, unsigned long bytes, const char *mode, int ntasks,
			pid_t *pids, int *go_write, struct vmpte_stats *st)
{
	int ready[2], go[2];
	long vmpte;

	if (pipe(ready) || pipe(go))
		die("pipe");
	for (int i = 0; i < ntasks; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			child_round(seg, bytes, mode, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	st->min = -1;
	st->max = st->sum = 0;
	for (int i = 0; i < ntasks; i++) {
		if (read(ready[0], &vmpte, sizeof(vmpte)) != sizeof(vmpte))
			die("ready");
		st->min = (st->min < 0 || vmpte < st->min) ? vmpte : st->min;
		st->max = vmpte > st->max ? vmpte : st->max;
		st->sum += vmpte;
	}
	close(ready[0]);
	*go_write = go[1];
}

static void reap(int go_write, const pid_t *pids, int ntasks)
{
	close(go_write);
	for (int i = 0; i < ntasks; i++)
		waitpid(pids[i], NULL, 0);
	usleep(300 * 1000); /* let RCU-deferred pagetable frees finish */
}

/* A touch token is MODE or MODE:MAXTASKS (run MODE only for rounds with <= MAXTASKS tasks). */
static int touch_applies(char *token, int ntasks)
{
	char *colon = strchr(token, ':');

	if (!colon)
		return 1;
	*colon = '\0';
	return ntasks <= atoi(colon + 1);
}

static void pt_round(const char *seg, unsigned long mib, int ntasks, const char *mode)
{
	static pid_t pids[MAX_TASKS];
	struct snapshot before, after;
	struct vmpte_stats st;
	long parent_before, parent_after;
	int go_write;
	double t0;

	if (ntasks < 1 || ntasks > MAX_TASKS)
		die("tasks_range");
	parent_before = self_vmpte_kb();
	take_snapshot(&before);
	t0 = now_s();
	spawn_round(seg, mib * MIB, mode, ntasks, pids, &go_write, &st);
	take_snapshot(&after);
	parent_after = self_vmpte_kb();
	printf("UKS kind=pt segment_mib=%lu tasks=%d touch=%s round_s=%.3f child_vmpte_min=%ld "
	       "child_vmpte_max=%ld child_vmpte_sum=%ld parent_vmpte_before=%ld "
	       "parent_vmpte_after=%ld", mib, ntasks, mode, now_s() - t0, st.min, st.max, st.sum,
	       parent_before, parent_after);
	print_snapshot("before_", &before);
	print_snapshot("after_", &after);
	printf("\n");
	fflush(stdout);
	reap(go_write, pids, ntasks);
}

static int cmd_pt(unsigned long mib, char *tasks_csv, const char *touches_csv)
{
	char *seg = map_aligned_shared(mib * MIB);
	double t0 = now_s();
	char *save_t, *save_m, *tok, *mode, touches[256];

	memset(seg, 1, mib * MIB); /* populate the shmem object once, in the parent */
	printf("UKS kind=pt_populate segment_mib=%lu populate_s=%.3f\n", mib, now_s() - t0);
	fflush(stdout);
	for (tok = strtok_r(tasks_csv, ",", &save_t); tok; tok = strtok_r(NULL, ",", &save_t)) {
		snprintf(touches, sizeof(touches), "%s", touches_csv);
		for (mode = strtok_r(touches, ",", &save_m); mode;
		     mode = strtok_r(NULL, ",", &save_m))
			if (touch_applies(mode, atoi(tok)))
				pt_round(seg, mib, atoi(tok), mode);
	}
	munmap(seg, mib * MIB);
	return 0;
}

static int cmd_hold(unsigned long mib, const char *ready_path)
{
	char *p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *f;

	if (p == MAP_FAILED)
		die("hold_map");
	/* 4 KiB pages, as on the 2002 kernels: each page then has a PTE for gup to walk. */
	if (madvise(p, mib * MIB, MADV_NOHUGEPAGE))
		die("hold_madvise");
	for (unsigned long off = 0; off < mib * MIB; off += PAGE)
		p[off] = (char)(off >> 12) | 1;
	f = fopen(ready_path, "w");
	if (!f)
		die("hold_ready");
	fprintf(f, "%d %lu\n", getpid(), (unsigned long)p);
	fclose(f);
	printf("UKS kind=hold pid=%d addr=%lu mib=%lu\n", getpid(), (unsigned long)p, mib);
	fflush(stdout);
	for (;;)
		pause();
	return 0; /* not reached: the job script kills this task */
}

static int cmd_memread(const char *pid, unsigned long long addr, unsigned long long bytes)
{
	char path[64], buf[PAGE];
	unsigned long long done = 0;
	double t0 = now_s();
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open_pid_mem");
	while (done < bytes) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)(addr + done));

		if (n <= 0)
			die("pread_pid_mem");
		done += (unsigned long long)n;
	}
	close(fd);
	printf("UKS kind=memread bytes=%llu pages=%llu read_s=%.3f\n", done, done / PAGE,
	       now_s() - t0);
	return 0;
}

/* A 1 MiB I/O buffer from the heap (static arrays would stretch the bss over more PTE pages). */
static char *io_buffer(void)
{
	char *buf = malloc(MIB);

	if (!buf)
		die("malloc");
	return buf;
}

static int cmd_fill(const char *path, unsigned long mib)
{
	char *buf = io_buffer();
	double t0 = now_s();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("fill_open");
	memset(buf, 0x5a, MIB);
	for (unsigned long i = 0; i < mib; i++)
		if (write(fd, buf, MIB) != (ssize_t)MIB)
			die("fill_write");
	close(fd);
	printf("UKS kind=fill mib=%lu fill_s=%.3f\n", mib, now_s() - t0);
	return 0;
}

static int cmd_read(const char *path, unsigned long bufsize)
{
	char *buf = io_buffer();
	unsigned long long total = 0;
	unsigned long calls = 0;
	double t0 = now_s();
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || bufsize == 0 || bufsize > MIB)
		die("read_open");
	while ((n = read(fd, buf, bufsize)) > 0) {
		total += (unsigned long long)n;
		calls++;
	}
	close(fd);
	printf("UKS kind=read bytes=%llu calls=%lu bufsize=%lu read_s=%.3f\n", total, calls, bufsize,
	       now_s() - t0);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: uks-workload meminfo TAG | pt SEG_MIB TASKS TOUCHES | "
			"hold MIB READYFILE | memread PID ADDR BYTES | fill PATH MIB | "
			"read PATH BUFSIZE\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "meminfo") == 0)
		return cmd_meminfo(argv[2]);
	if (argc == 5 && strcmp(argv[1], "pt") == 0)
		return cmd_pt(strtoul(argv[2], NULL, 0), argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return cmd_hold(strtoul(argv[2], NULL, 0), argv[3]);
	if (argc == 5 && strcmp(argv[1], "memread") == 0)
		return cmd_memread(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return cmd_fill(argv[2], strtoul(argv[3], NULL, 0));
	if (argc == 4 && strcmp(argv[1], "read") == 0)
		return cmd_read(argv[2], strtoul(argv[3], NULL, 0));
	return usage();
}
