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
 *   - the sum of the first sample ("at rest": taken before the load starts).
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
#define PM_MAXTRACK	256
#define PM_FULL_EVERY	20

struct pm_stat {
	pid_t		 pid, ppid;
	char		 comm[32];
	uint64_t	 ticks;		/* utime + stime */
	uint64_t	 rss_kb;
};

struct pm_track {
	pid_t		 pid, ppid;
	char		 comm[32];
	uint64_t	 first_ticks, last_ticks;
	uint64_t	 peak_rss_kb, rest_rss_kb;
	int		 at_start;	/* seen in the first sample */
};

static struct pm_stat	 pm_all[PM_MAXPROC];
static struct pm_track	 pm_tr[PM_MAXTRACK];
static int		 pm_ntr;
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
	long		 rss;
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
	/* fields after comm: 3 state, 4 ppid, ..., 14 utime, 15 stime, 24 rss */
	p = rp + 2;
	if (sscanf(p, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
	    "%*d %*d %*d %*d %*d %*d %*u %*u %ld", &ppid, &ut, &st, &rss) != 4)
		return (-1);
	s->pid = pid;
	s->ppid = ppid;
	s->ticks = (uint64_t)ut + st;
	s->rss_kb = rss > 0 ? (uint64_t)rss * (uint64_t)pm_pagekb : 0;
	return (0);
}

/*
 * Read the stat of every process (full), or only of those already known
 * to be in the tree: a full scan costs a few ms of the client's core, so
 * it runs every PM_FULL_EVERY samples to find new children.
 */
static int
pm_scan(pid_t root, int full)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, i;

	if (!full) {
		if (pm_read_stat(root, &pm_all[n]) == 0)
			n++;
		for (i = 0; i < pm_ntr; i++)
			if (pm_tr[i].pid != root &&
			    pm_read_stat(pm_tr[i].pid, &pm_all[n]) == 0)
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

static struct pm_track *
pm_find(pid_t pid)
{
	int	i;

	for (i = 0; i < pm_ntr; i++)
		if (pm_tr[i].pid == pid)
			return (&pm_tr[i]);
	return (NULL);
}

/* One sample; returns the tree's RSS sum, or -1 when the root is gone. */
static int64_t
pm_sample(pid_t root, int first, int full)
{
	static char	 in[PM_MAXPROC];
	struct pm_track	*t;
	int		 n, i, j, grew, found = 0;
	int64_t		 sum = 0;

	n = pm_scan(root, full || first);
	memset(in, 0, (size_t)n);
	for (i = 0; i < n; i++)
		if (pm_all[i].pid == root) {
			in[i] = 1;
			found = 1;
		}
	if (!found)
		return (-1);
	do {			/* mark descendants until nothing changes */
		grew = 0;
		for (i = 0; i < n; i++) {
			if (in[i])
				continue;
			for (j = 0; j < n; j++)
				if (in[j] && pm_all[j].pid == pm_all[i].ppid) {
					in[i] = 1;
					grew = 1;
					break;
				}
		}
	} while (grew);
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		sum += (int64_t)pm_all[i].rss_kb;
		if ((t = pm_find(pm_all[i].pid)) == NULL) {
			if (pm_ntr == PM_MAXTRACK)
				continue;
			t = &pm_tr[pm_ntr++];
			memset(t, 0, sizeof(*t));
			t->pid = pm_all[i].pid;
			t->at_start = first;
			t->first_ticks = first ? pm_all[i].ticks : 0;
			t->rest_rss_kb = first ? pm_all[i].rss_kb : 0;
		}
		t->ppid = pm_all[i].ppid;
		memcpy(t->comm, pm_all[i].comm, sizeof(t->comm));
		t->last_ticks = pm_all[i].ticks;
		if (pm_all[i].rss_kb > t->peak_rss_kb)
			t->peak_rss_kb = pm_all[i].rss_kb;
	}
	return (sum);
}

static void
pm_usage(void)
{
	fprintf(stderr, "usage: procmon -p pid [-i ms] [-T max_seconds] [-1]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct timespec	 ts;
	pid_t		 root = 0;
	long		 interval_ms = 25, hz;
	double		 max_s = 600, cpu_s = 0;
	int64_t		 sum, peak_sum = 0, rest_sum = -1;
	uint64_t	 max_proc = 0;
	long		 samples = 0;
	time_t		 t0;
	int		 ch, once = 0, i;

	while ((ch = getopt(argc, argv, "p:i:T:1")) != -1) {
		switch (ch) {
		case 'p': root = (pid_t)atoi(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'T': max_s = atof(optarg); break;
		case '1': once = 1; break;
		default: pm_usage();
		}
	}
	if (root <= 0 || interval_ms < 1)
		pm_usage();
	pm_pagekb = sysconf(_SC_PAGESIZE) / 1024;
	hz = sysconf(_SC_CLK_TCK);
	signal(SIGTERM, pm_on_signal);
	signal(SIGINT, pm_on_signal);
	t0 = time(NULL);
	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (interval_ms % 1000) * 1000000L;
	while (!pm_stop) {
		sum = pm_sample(root, samples == 0,
		    samples % PM_FULL_EVERY == 0);
		if (sum < 0)
			break;
		if (rest_sum < 0)
			rest_sum = sum;
		if (sum > peak_sum)
			peak_sum = sum;
		samples++;
		if (once || difftime(time(NULL), t0) > max_s)
			break;
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < pm_ntr; i++) {
		cpu_s += (double)(pm_tr[i].last_ticks - pm_tr[i].first_ticks) /
		    (double)hz;
		if (pm_tr[i].peak_rss_kb > max_proc)
			max_proc = pm_tr[i].peak_rss_kb;
	}
	printf("{\"root\":%d,\"samples\":%ld,\"interval_ms\":%ld,"
	    "\"root_alive\":%s,\"rest_rss_sum_kb\":%lld,"
	    "\"peak_rss_sum_kb\":%lld,\"peak_rss_max_proc_kb\":%llu,"
	    "\"cpu_s\":%.3f,\"nprocs\":%d,\"procs\":[", (int)root, samples,
	    interval_ms, kill(root, 0) == 0 ? "true" : "false",
	    (long long)(rest_sum < 0 ? 0 : rest_sum), (long long)peak_sum,
	    (unsigned long long)max_proc, cpu_s, pm_ntr);
	for (i = 0; i < pm_ntr; i++)
		printf("%s{\"pid\":%d,\"ppid\":%d,\"comm\":\"%s\","
		    "\"rest_rss_kb\":%llu,\"peak_rss_kb\":%llu,\"cpu_s\":%.3f}",
		    i ? "," : "", (int)pm_tr[i].pid, (int)pm_tr[i].ppid,
		    pm_tr[i].comm, (unsigned long long)pm_tr[i].rest_rss_kb,
		    (unsigned long long)pm_tr[i].peak_rss_kb,
		    (double)(pm_tr[i].last_ticks - pm_tr[i].first_ticks) /
		    (double)hz);
	printf("]}\n");
	return (0);
}
