// rocksdb_bench.cc - rhook-bench-rocksdb: what tracing costs a RocksDB
// application (issue 15), as CPU time per Put, side by side in one run.
//
// A RocksDB workload (KEYS puts of 100-byte values into 64 KiB memtables:
// flushes and leveled compactions, then a flush and a wait until idle) on
// a tmpfs (/dev/shm, or RHOOK_BENCH_DIR), where fsync costs next to
// nothing, so the disk's noise does not hide tracing's.  Legs, interleaved
// round by round in a rotating order: no listener (twice, A and B: the
// A/A noise), the rhook-rocksdb listener with the flight recorder, the
// listener with an LTTng session.  Each figure is the median over rounds
// of the leg's process CPU time (CLOCK_PROCESS_CPUTIME_ID: RocksDB's
// background threads included) divided by leg A's in the same round,
// with a bootstrap 95 % interval and the A/A interval beside it:
// e2e_cpu_rocksdb_aa_noise, e2e_cpu_rocksdb_recorder, e2e_cpu_rocksdb_lttng.
//
// The LTTng leg needs librhook's provider, loaded at start-up only: the
// program re-executes itself with RHOOK_LTTNG=on unless RHOOK_LTTNG is set
// ("off" skips the leg).
//
// Usage: rhook-bench-rocksdb [ROUNDS (2..64) [KEYS]]
#include <rhook/rocksdb.h>
#include <rhook/trace.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern "C" {
#include "fsutil.h"
#include "lttngctl.h"
}
#include "bench.h"

namespace {

enum { LEG_OFF, LEG_OFF_B, LEG_RECORDER, LEG_LTTNG, LEGS };
constexpr unsigned kMaxRounds = 64;

unsigned rounds = 21;
unsigned long keys = 40000;

[[noreturn]] void die(const char *what, const std::string &why)
{
	std::fprintf(stderr, "rhook-bench-rocksdb: %s: %s\n", what, why.c_str());
	std::exit(1);
}

// Until no flush or compaction runs or is pending (RocksDB 7.8 has no WaitForCompact).
void wait_idle(rocksdb::DB *db)
{
	for (;;) {
		uint64_t busy = 0, v = 0;

		db->GetIntProperty("rocksdb.compaction-pending", &v);
		busy += v;
		db->GetIntProperty("rocksdb.mem-table-flush-pending", &v);
		busy += v;
		db->GetIntProperty("rocksdb.num-running-compactions", &v);
		busy += v;
		db->GetIntProperty("rocksdb.num-running-flushes", &v);
		busy += v;
		if (!busy)
			return;
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
}

// One workload on a fresh DB in @dir; returns the process CPU ns of the puts to idle.
uint64_t workload(const std::string &dir, bool listener)
{
	rocksdb::Options options;
	rocksdb::DB *db = nullptr;
	std::string value(100, 'x');
	uint64_t x = 88172645463325252ull, c0, c1;

	options.create_if_missing = true;
	options.max_background_jobs = 2;
	options.write_buffer_size = 64 << 10;
	options.num_levels = 3;
	options.level0_file_num_compaction_trigger = 4;
	options.max_bytes_for_level_base = 512 << 10;
	options.target_file_size_base = 128 << 10;
	options.compression = rocksdb::kNoCompression;
	if (listener)
		options.listeners.push_back(rrdb_listener(nullptr));
	rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
	if (!s.ok())
		die("open", s.ToString());
	c0 = bench_cpu_ns();
	for (unsigned long i = 0; i < keys && s.ok(); i++) {
		char key[32];

		for (auto &c : value) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			c = static_cast<char>('a' + x % 26);
		}
		std::snprintf(key, sizeof(key), "key%012llu", (unsigned long long)(x % (keys * 4)));
		s = db->Put(rocksdb::WriteOptions(), key, value);
	}
	if (s.ok())
		s = db->Flush(rocksdb::FlushOptions());
	if (!s.ok())
		die("write", s.ToString());
	wait_idle(db);
	c1 = bench_cpu_ns();
	s = db->Close();
	delete db;
	if (!s.ok())
		die("close", s.ToString());
	return c1 - c0;
}

uint64_t trace_bytes;

int add_size(const char *, const struct stat *st, int flag, struct FTW *)
{
	if (flag == FTW_F)
		trace_bytes += static_cast<uint64_t>(st->st_size);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	static const char *const names[LEGS] = { nullptr, "e2e_cpu_rocksdb_aa_noise", "e2e_cpu_rocksdb_recorder",
						 "e2e_cpu_rocksdb_lttng" };
	static double cpu[LEGS][kMaxRounds], paired[LEGS][kMaxRounds];
	double med[LEGS], tmp[kMaxRounds], lo[LEGS] = { 0 }, hi[LEGS] = { 0 }, load[3] = { 0 };
	char root[PATH_MAX];
	struct tc_lttngctl s;
	struct tc_lttngctl_opts so = {};
	bool lttng;

	if (!std::getenv("RHOOK_LTTNG")) {
		setenv("RHOOK_LTTNG", "on", 1);
		execv("/proc/self/exe", argv);
		std::perror("rhook-bench-rocksdb: re-exec");
		return 1;
	}
	if (argc > 1)
		rounds = static_cast<unsigned>(std::atoi(argv[1]));
	if (argc > 2)
		keys = std::strtoul(argv[2], nullptr, 10);
	if (argc > 3 || rounds < 2 || rounds > kMaxRounds || !keys) {
		std::fprintf(stderr, "usage: rhook-bench-rocksdb [ROUNDS (2..%u) [KEYS]]\n", kMaxRounds);
		return 2;
	}
	std::snprintf(root, sizeof(root), "%s/rhook-bench-rocksdb-XXXXXX", bench_fast_dir());
	if (!mkdtemp(root)) {
		std::perror("rhook-bench-rocksdb: mkdtemp");
		return 1;
	}
	const std::string db_dir = std::string(root) + "/db", trace_dir = std::string(root) + "/trace",
			  rec_dir = std::string(root) + "/rec";
	so.output_dir = trace_dir.c_str();
	lttng = rhook_lttng_loaded();
	// This process records: the session tracks it (rhook's sessions record only the processes they name).
	if (lttng && tc_lttngctl_begin(&s, &so)) {
		std::fprintf(stderr, "rhook-bench-rocksdb: cannot create an LTTng session; the LTTng leg is skipped\n");
		lttng = false;
	} else if (lttng && tc_lttngctl_track(s.name, getpid())) {
		std::fprintf(stderr, "rhook-bench-rocksdb: cannot track this process in the LTTng session; the LTTng leg is skipped\n");
		tc_lttngctl_end(&s);
		lttng = false;
	}
	getloadavg(load, 3);
	std::fprintf(stderr, "rhook-bench-rocksdb: %u rounds x %lu puts in %s, LTTng %s, load average %.2f %.2f %.2f\n",
		     rounds, keys, root, lttng ? "session per round" : "skipped", load[0], load[1], load[2]);
	workload(db_dir, false); // warm-up, not counted
	tc_rmtree(db_dir.c_str());
	uint64_t recorder_bytes = 0;
	for (unsigned round = 0; round < rounds; round++) {
		for (int k = 0; k < LEGS; k++) {
			int l = static_cast<int>((round + static_cast<unsigned>(k)) % LEGS);
			struct rhook_recorder_config rc = {};

			if (l == LEG_LTTNG && !lttng)
				continue;
			rc.size = sizeof(rc);
			rc.dir = rec_dir.c_str();
			if (l == LEG_LTTNG && tc_lttngctl_start(&s))
				die("lttng", "start");
			if (l == LEG_RECORDER && rhook_recorder_start(&rc))
				die("recorder", "start");
			usleep(100000); // as rhook-bench-engine: session start-up settles, every leg alike
			cpu[l][round] = static_cast<double>(workload(db_dir, l >= LEG_RECORDER)) / 1e3 /
					static_cast<double>(keys);
			if (l == LEG_LTTNG && tc_lttngctl_stop(&s))
				die("lttng", "stop");
			if (l == LEG_RECORDER) {
				if (rhook_recorder_stop())
					die("recorder", "stop");
				trace_bytes = 0;
				nftw(rec_dir.c_str(), add_size, 16, FTW_PHYS);
				recorder_bytes += trace_bytes;
				tc_rmtree(rec_dir.c_str());
			}
			tc_rmtree(db_dir.c_str());
		}
	}
	for (int l = 0; l < LEGS; l++) {
		for (unsigned i = 0; i < rounds; i++)
			paired[l][i] = cpu[l][i] / cpu[LEG_OFF][i];
		std::memcpy(tmp, cpu[l], sizeof(tmp));
		med[l] = bench_median(tmp, rounds);
	}
	for (int l = LEG_OFF_B; l < LEGS; l++)
		if (l != LEG_LTTNG || lttng)
			bench_bootstrap_ci(paired[l], rounds, &lo[l], &hi[l]);
	for (int l = LEG_OFF_B; l < LEGS; l++) {
		struct bench_spread sp = {};

		if (l == LEG_LTTNG && !lttng)
			continue;
		std::memcpy(tmp, paired[l], sizeof(tmp));
		sp.ratio = bench_median(tmp, rounds);
		sp.min = tmp[0];
		sp.max = tmp[rounds - 1];
		sp.ci_low = lo[l];
		sp.ci_high = hi[l];
		sp.noise_low = lo[LEG_OFF_B];
		sp.noise_high = hi[LEG_OFF_B];
		sp.rounds = rounds;
		sp.resolved = l == LEG_OFF_B ? std::max(std::abs(lo[l] - 1), std::abs(hi[l] - 1)) <= 0.005
					     : lo[l] > hi[LEG_OFF_B] || hi[l] < lo[LEG_OFF_B];
		bench_report_spread(names[l], med[l], "us/put", "rocksdb_cpu_no_listener", med[LEG_OFF], &sp);
	}
	trace_bytes = 0;
	if (lttng) {
		tc_lttngctl_end(&s);
		nftw(trace_dir.c_str(), add_size, 16, FTW_PHYS);
		std::fprintf(stderr, "rhook-bench-rocksdb: the LTTng leg recorded %llu bytes of trace\n",
			     (unsigned long long)trace_bytes);
	}
	std::fprintf(stderr, "rhook-bench-rocksdb: the recorder leg wrote %llu bytes of trace files\n",
		     (unsigned long long)recorder_bytes);
	tc_rmtree(root);
	// The traced legs must have produced traces, or they measured nothing.
	return (lttng && !trace_bytes) || !recorder_bytes ? 1 : 0;
}
