/*
 * procmon: memory and CPU of one process tree while `make bench` loads it.
 *
 * Every -i milliseconds it reads /proc/<pid>/stat of the root given with
 * -p and of all its descendants (looking for new ones in all of /proc
 * every PM_FULL_EVERY samples), and records:
 *   - the resident set of each process (peak over the samples) and the
 *     peak of their sum;
 *   - utime + stime of each process: the CPU it used between its first and
 *     its last sample (a process born during the run starts from zero);
 *   - the sum of the first sample ("at rest", when taken before the load).
 * With -a PID it also counts the CPU of a second tree (the whole bench:
 * target, mock, load generator, reaped children included) and the
 * machine's busy time from /proc/stat, so the report can tell how much CPU
 * processes outside the bench took during the run.
 * It stops on SIGTERM or SIGINT, when the root exits, or after -T seconds,
 * and prints one JSON object on stdout.  -1 takes a single sample.
 * Build: cc -O2 -o procmon procmon.c
 */
#define _GNU_SOURCE

#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PM_MAXPROC	4096
#define PM_MAXTRACK	512
#define PM_FULL_EVERY	20

struct pm_stat {
	pid_t		 pid, ppid;
	char		 comm[32];
	uint64_t	 ticks;		/* utime + stime */
	uint64_t	 cticks;	/* cutime + cstime: reaped children */
	uint64_t	 rss_kb;
};

struct pm_track {
	pid_t		 pid, ppid;
	char		 comm[32];
	uint64_t	 first_ticks, last_ticks;
	uint64_t	 peak_rss_kb, rest_rss_kb;
};

/* One process tree being followed. */
struct pm_tree {
	pid_t		 root;
	struct pm_track	 tr[PM_MAXTRACK];
	int		 ntr;
};

static struct pm_stat	 pm_all[PM_MAXPROC];
static char		 pm_in[PM_MAXPROC];
static struct pm_tree	 pm_target;
static pid_t		 pm_bench_root;
static uint64_t		 pm_bench0, pm_bench1;	/* bench tree ticks */
static volatile sig_atomic_t pm_stop;
static long		 pm_pagekb;

static void
pm_on_signal(int sig)
{
	(void)sig;
	pm_stop = 1;
}

/* Parse /proc/<pid>/stat; the comm may hold spaces and parentheses. */
static int
pm_read_stat(pid_t pid, struct pm_stat *s)
{
	char		 path[64], buf[1024], *lp, *rp, *p;
	unsigned long	 ut, st;
	long		 cut, cst, rss;
	int		 fd, ppid;
	ssize_t		 n;
	size_t		 len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((lp = strchr(buf, '(')) == NULL ||
	    (rp = strrchr(buf, ')')) == NULL)
		return (-1);
	len = (size_t)(rp - lp - 1);
	if (len >= sizeof(s->comm))
		len = sizeof(s->comm) - 1;
	memcpy(s->comm, lp + 1, len);
	s->comm[len] = '\0';
	for (p = s->comm; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '_';	/* keep the JSON valid */
	/*
	 * Fields after comm: 3 state, 4 ppid, ..., 14 utime, 15 stime,
	 * 16 cutime, 17 cstime, ..., 24 rss.
	 */
	p = rp + 2;
	if (sscanf(p, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
	    "%ld %ld %*d %*d %*d %*d %*u %*u %ld", &ppid, &ut, &st, &cut, &cst,
	    &rss) != 6)
		return (-1);
	s->pid = pid;
	s->ppid = ppid;
	s->ticks = (uint64_t)ut + st;
	s->cticks = (uint64_t)(cut > 0 ? cut : 0) + (uint64_t)(cst > 0 ? cst : 0);
	s->rss_kb = rss > 0 ? (uint64_t)rss * (uint64_t)pm_pagekb : 0;
	return (0);
}

/* Busy ticks of the whole machine (all but idle and iowait). */
static uint64_t
pm_machine_busy(void)
{
	unsigned long long	 v[8];
	FILE			*f;
	int			 n;

	memset(v, 0, sizeof(v));
	if ((f = fopen("/proc/stat", "r")) == NULL)
		return (0);
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return (0);
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

/*
 * Read the stat of every process (full), or only of those already known
 * to be in the target's tree: a full scan costs a few ms of the client's
 * core, so it runs every PM_FULL_EVERY samples to find new children.
 */
static int
pm_scan(int full)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, i;

	if (!full) {
		if (pm_read_stat(pm_target.root, &pm_all[n]) == 0)
			n++;
		for (i = 0; i < pm_target.ntr && n < PM_MAXPROC; i++)
			if (pm_target.tr[i].pid != pm_target.root &&
			    pm_read_stat(pm_target.tr[i].pid, &pm_all[n]) == 0)
				n++;
		return (n);
	}
	if ((d = opendir("/proc")) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL && n < PM_MAXPROC) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (pm_read_stat((pid_t)atoi(e->d_name), &pm_all[n]) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

/* Mark in pm_in the n scanned processes that are root or below it. */
static int
pm_mark(pid_t root, int n)
{
	int	i, j, grew, found = 0;

	memset(pm_in, 0, (size_t)n);
	for (i = 0; i < n; i++)
		if (pm_all[i].pid == root) {
			pm_in[i] = 1;
			found = 1;
		}
	if (!found)
		return (0);
	do {
		grew = 0;
		for (i = 0; i < n; i++) {
			if (pm_in[i])
				continue;
			for (j = 0; j < n; j++)
				if (pm_in[j] && pm_all[j].pid == pm_all[i].ppid) {
					pm_in[i] = 1;
					grew = 1;
					break;
				}
		}
	} while (grew);
	return (1);
}

/* Update t from the marked processes; returns their RSS sum. */
static int64_t
pm_update(struct pm_tree *t, int n, int first)
{
	struct pm_track	*k;
	int64_t		 sum = 0;
	int		 i, j;

	for (i = 0; i < n; i++) {
		if (!pm_in[i])
			continue;
		sum += (int64_t)pm_all[i].rss_kb;
		for (k = NULL, j = 0; j < t->ntr; j++)
			if (t->tr[j].pid == pm_all[i].pid) {
				k = &t->tr[j];
				break;
			}
		if (k == NULL) {
			if (t->ntr == PM_MAXTRACK)
				continue;
			k = &t->tr[t->ntr++];
			memset(k, 0, sizeof(*k));
			k->pid = pm_all[i].pid;
			k->first_ticks = first ? pm_all[i].ticks : 0;
			k->rest_rss_kb = first ? pm_all[i].rss_kb : 0;
		}
		k->ppid = pm_all[i].ppid;
		memcpy(k->comm, pm_all[i].comm, sizeof(k->comm));
		k->last_ticks = pm_all[i].ticks;
		if (pm_all[i].rss_kb > k->peak_rss_kb)
			k->peak_rss_kb = pm_all[i].rss_kb;
	}
	return (sum);
}

/*
 * CPU ticks of everything the bench ever ran: live processes count their
 * own time plus that of the children they reaped, and every process of
 * the bench is reaped inside the bench's tree, so the difference of two
 * such totals is what the bench used in between, wherever it ran.
 */
static uint64_t
pm_bench_ticks(void)
{
	uint64_t	t = 0;
	int		i, n;

	n = pm_scan(1);
	if (!pm_mark(pm_bench_root, n))
		return (0);
	for (i = 0; i < n; i++)
		if (pm_in[i])
			t += pm_all[i].ticks + pm_all[i].cticks;
	return (t);
}

/* One sample; returns the target tree's RSS sum, -1 when its root is gone. */
static int64_t
pm_sample(int first, int full)
{
	int	n;

	n = pm_scan(full || first);
	if (!pm_mark(pm_target.root, n))
		return (-1);
	return (pm_update(&pm_target, n, first));
}

static double
pm_cpu(const struct pm_tree *t, long hz)
{
	double	s = 0;
	int	i;

	for (i = 0; i < t->ntr; i++)
		s += (double)(t->tr[i].last_ticks - t->tr[i].first_ticks) /
		    (double)hz;
	return (s);
}

static void
pm_usage(void)
{
	fprintf(stderr, "usage: procmon -p pid [-a pid] [-i ms] "
	    "[-T max_seconds] [-1]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct timespec	 ts, t0, t1;
	long		 interval_ms = 25, hz, samples = 0;
	double		 max_s = 600, wall;
	int64_t		 sum, peak_sum = 0, rest_sum = -1;
	uint64_t	 max_proc = 0, busy0, busy1;
	int		 ch, once = 0, i;
	const struct pm_track *k;

	while ((ch = getopt(argc, argv, "p:a:i:T:1")) != -1) {
		switch (ch) {
		case 'p': pm_target.root = (pid_t)atoi(optarg); break;
		case 'a': pm_bench_root = (pid_t)atoi(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'T': max_s = atof(optarg); break;
		case '1': once = 1; break;
		default: pm_usage();
		}
	}
	if (pm_target.root <= 0 || interval_ms < 1)
		pm_usage();
	pm_pagekb = sysconf(_SC_PAGESIZE) / 1024;
	hz = sysconf(_SC_CLK_TCK);
	signal(SIGTERM, pm_on_signal);
	signal(SIGINT, pm_on_signal);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	busy0 = pm_machine_busy();
	if (pm_bench_root > 0)
		pm_bench0 = pm_bench_ticks();
	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (interval_ms % 1000) * 1000000L;
	while (!pm_stop) {
		sum = pm_sample(samples == 0, samples % PM_FULL_EVERY == 0);
		if (sum < 0)
			break;
		if (rest_sum < 0)
			rest_sum = sum;
		if (sum > peak_sum)
			peak_sum = sum;
		samples++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		wall = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (once || wall > max_s)
			break;
		nanosleep(&ts, NULL);
	}
	if (pm_bench_root > 0)
		pm_bench1 = pm_bench_ticks();
	busy1 = pm_machine_busy();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (i = 0; i < pm_target.ntr; i++)
		if (pm_target.tr[i].peak_rss_kb > max_proc)
			max_proc = pm_target.tr[i].peak_rss_kb;
	printf("{\"root\":%d,\"samples\":%ld,\"interval_ms\":%ld,"
	    "\"wall_s\":%.3f,\"rest_rss_sum_kb\":%lld,"
	    "\"peak_rss_sum_kb\":%lld,\"peak_rss_max_proc_kb\":%llu,"
	    "\"cpu_s\":%.3f,", (int)pm_target.root, samples, interval_ms, wall,
	    (long long)(rest_sum < 0 ? 0 : rest_sum), (long long)peak_sum,
	    (unsigned long long)max_proc, pm_cpu(&pm_target, hz));
	if (pm_bench_root > 0)
		printf("\"bench_cpu_s\":%.3f,\"machine_busy_s\":%.3f,",
		    (double)(pm_bench1 - pm_bench0) / (double)hz,
		    (double)(busy1 - busy0) / (double)hz);
	printf("\"nprocs\":%d,\"procs\":[", pm_target.ntr);
	for (i = 0; i < pm_target.ntr; i++) {
		k = &pm_target.tr[i];
		printf("%s{\"pid\":%d,\"ppid\":%d,\"comm\":\"%s\","
		    "\"rest_rss_kb\":%llu,\"peak_rss_kb\":%llu,\"cpu_s\":%.3f}",
		    i ? "," : "", (int)k->pid, (int)k->ppid, k->comm,
		    (unsigned long long)k->rest_rss_kb,
		    (unsigned long long)k->peak_rss_kb,
		    (double)(k->last_ticks - k->first_ticks) / (double)hz);
	}
	printf("]}\n");
	return (0);
}
