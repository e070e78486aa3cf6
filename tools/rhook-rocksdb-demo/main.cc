// rhook-rocksdb-demo - a real RocksDB workload traced through rhook-rocksdb.
//
// Writes that trigger flushes and leveled compactions in three column
// families, a flush of all of them, a manual compaction, an ingestion, and
// a column family dropped; recorded by the flight recorder, then checked
// (rhook-read check) and summed up (rhook-read stats) as rhook-demo does
// for the reference engine.  With --accounting FILE it also writes
// RocksDB's own accounting of the run, for tests to compare with the trace
// (rhook-rocksdb-demo.1 gives the format).
#include <rhook/rocksdb.h>
#include <rhook/trace.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/unique_id.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *const kFamilies[] = { "default", "cf1", "cf2", "todrop" };
constexpr size_t kNumFamilies = 4, kDropped = 3, kIngestInto = 2, kCompactManually = 1;

// What the hooks were told, for the accounting file: one line per call.
struct HookLog {
	std::mutex mu;
	std::vector<std::string> lines;
};

void fmt_id(const rhook_file_id *id, char *buf)
{
	rhook_file_id_format(id, buf);
}

void on_sst(void *priv, rhook_region_id region, const struct rhook_region_meta *, const struct rhook_sst_file *files,
	    size_t n)
{
	auto *log = static_cast<HookLog *>(priv);
	std::lock_guard<std::mutex> g(log->mu);

	for (size_t i = 0; i < n; i++) {
		char id[RHOOK_FILE_ID_STRLEN];

		fmt_id(&files[i].file_meta->file_id, id);
		log->lines.push_back("hook_sst " + std::to_string(region) + " " + id);
	}
}

void on_manifest(void *priv, rhook_region_id region, const struct rhook_action_list *, uint64_t version)
{
	auto *log = static_cast<HookLog *>(priv);
	std::lock_guard<std::mutex> g(log->mu);

	log->lines.push_back("hook_manifest " + std::to_string(region) + " " + std::to_string(version));
}

int die(const char *what, const rocksdb::Status &s)
{
	std::fprintf(stderr, "rhook-rocksdb-demo: %s: %s\n", what, s.ToString().c_str());
	return 2;
}

std::string exe_dir()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return ".";
	buf[n] = 0;
	std::string s(buf);
	return s.substr(0, s.rfind('/'));
}

// Runs "rhook-read CMD [OPT ARG] TRACE" from beside this program; its exit status.
int run_reader(const char *cmd, const std::string &trace, const char *opt = nullptr, const char *arg = nullptr)
{
	std::string exe = exe_dir() + "/rhook-read";
	pid_t pid;
	int st;

	std::fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (opt && arg)
			execl(exe.c_str(), "rhook-read", cmd, opt, arg, trace.c_str(), (char *)nullptr);
		else if (opt)
			execl(exe.c_str(), "rhook-read", cmd, opt, trace.c_str(), (char *)nullptr);
		else
			execl(exe.c_str(), "rhook-read", cmd, trace.c_str(), (char *)nullptr);
		std::fprintf(stderr, "rhook-rocksdb-demo: cannot run %s: %s\n", exe.c_str(), std::strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Until no flush or compaction runs or is pending (RocksDB 7.8 has no WaitForCompact); false on timeout.
bool wait_idle(rocksdb::DB *db, const std::vector<rocksdb::ColumnFamilyHandle *> &cfs, int seconds)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);

	while (std::chrono::steady_clock::now() < deadline) {
		uint64_t busy = 0, v = 0;

		for (auto *cf : cfs) {
			if (!cf)
				continue;
			db->GetIntProperty(cf, "rocksdb.compaction-pending", &v);
			busy += v;
			db->GetIntProperty(cf, "rocksdb.mem-table-flush-pending", &v);
			busy += v;
		}
		db->GetIntProperty("rocksdb.num-running-compactions", &v);
		busy += v;
		db->GetIntProperty("rocksdb.num-running-flushes", &v);
		busy += v;
		if (!busy)
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return false;
}

// --fail-flush: a file system that refuses to create table files while told to,
// so that a flush fails as on a full or broken disk.
class FailingFS : public rocksdb::FileSystemWrapper {
public:
	explicit FailingFS(const std::shared_ptr<rocksdb::FileSystem> &t) : rocksdb::FileSystemWrapper(t) {}
	const char *Name() const override { return "rhook-demo-failing"; }
	rocksdb::IOStatus NewWritableFile(const std::string &f, const rocksdb::FileOptions &o,
					  std::unique_ptr<rocksdb::FSWritableFile> *r,
					  rocksdb::IODebugContext *dbg) override
	{
		if (failing.load() && f.size() > 4 && f.compare(f.size() - 4, 4, ".sst") == 0) {
			rocksdb::IOStatus s = rocksdb::IOStatus::IOError("injected by rhook-rocksdb-demo --fail-flush: " + f);

			s.SetRetryable(true); // a soft error: RocksDB resumes by itself
			return s;
		}
		return target()->NewWritableFile(f, o, r, dbg);
	}
	std::atomic<bool> failing{ false };
};

void usage(FILE *f)
{
	std::fputs("usage: rhook-rocksdb-demo --db DIR --trace DIR [--keys N] [--accounting FILE]\n"
		   "A RocksDB workload traced by rhook-rocksdb and the flight recorder, then checked.\n"
		   "  --db DIR          the database (created 0700; must not exist)\n"
		   "  --trace DIR       the flight recorder's directory\n"
		   "  --keys N          keys written, 1000..10000000 (default 40000)\n"
		   "  --accounting F    write RocksDB's own accounting of the run to F\n"
		   "  --fail-flush      one flush fails (its table file cannot be created), then RocksDB resumes\n",
		   f);
}

} // namespace

int main(int argc, char **argv)
{
	std::string db_dir, trace_dir, accounting;
	unsigned long keys = 40000;

	bool fail_flush = false;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];

		if (a == "--help" || a == "-h") {
			usage(stdout);
			return 0;
		}
		if (a == "--fail-flush") {
			fail_flush = true;
			continue;
		}
		if (i + 1 >= argc) {
			std::fprintf(stderr, "rhook-rocksdb-demo: %s needs a value\n", argv[i]);
			usage(stderr);
			return 2;
		}
		const char *v = argv[++i];
		if (a == "--db") {
			db_dir = v;
		} else if (a == "--trace") {
			trace_dir = v;
		} else if (a == "--accounting") {
			accounting = v;
		} else if (a == "--keys") {
			char *end;
			errno = 0;
			keys = std::strtoul(v, &end, 10);
			if (errno || *end || keys < 1000 || keys > 10000000) {
				std::fprintf(stderr, "rhook-rocksdb-demo: --keys %s: not a number in 1000..10000000\n", v);
				return 2;
			}
		} else {
			std::fprintf(stderr, "rhook-rocksdb-demo: unknown option %s\n", a.c_str());
			usage(stderr);
			return 2;
		}
	}
	if (db_dir.empty() || trace_dir.empty()) {
		usage(stderr);
		return 2;
	}
	// Private files: the DB directory is ours (0700, new), RocksDB's files 0600.
	umask(077);
	if (mkdir(db_dir.c_str(), 0700)) {
		std::fprintf(stderr, "rhook-rocksdb-demo: --db %s: %s%s\n", db_dir.c_str(), std::strerror(errno),
			     errno == EEXIST ? " (give a new directory)" : "");
		return 2;
	}

	struct rhook_recorder_config rc = { sizeof(rc) };
	rc.dir = trace_dir.c_str();
	rc.buffer_size = 1 << 20;
	rc.mode = RHOOK_RECORDER_DISCARD; // keep every event of the run
	int err = rhook_recorder_start(&rc);
	if (err) {
		std::fprintf(stderr, "rhook-rocksdb-demo: cannot record into %s: %s\n", trace_dir.c_str(),
			     std::strerror(-err));
		return 2;
	}
	char trace_path[PATH_MAX];
	if (rhook_recorder_path(trace_path, sizeof(trace_path)))
		trace_path[0] = 0;

	HookLog hook_log;
	struct rhook_registry *reg = nullptr;
	static const struct rhook_hook_ops ops = [] {
		struct rhook_hook_ops o;
		std::memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		o.on_sst_files_written = on_sst;
		o.on_manifest_updated = on_manifest;
		return o;
	}();
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, &hook_log, nullptr)) {
		std::fprintf(stderr, "rhook-rocksdb-demo: cannot register the hook\n");
		return 2;
	}

	auto fs = std::make_shared<FailingFS>(rocksdb::FileSystem::Default());
	std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
	rocksdb::Options options;
	options.env = env.get();
	options.create_if_missing = true;
	options.create_missing_column_families = true;
	options.statistics = rocksdb::CreateDBStatistics();
	options.listeners.push_back(rrdb_listener(reg)); // the one line rhook-rocksdb asks for
	options.max_background_jobs = 2;
	options.bgerror_resume_retry_interval = 50000; // µs: --fail-flush resumes quickly
	rocksdb::ColumnFamilyOptions cfo;
	cfo.write_buffer_size = 64 << 10;
	cfo.num_levels = 3; // rhook's levels are 0..2: exact
	cfo.level0_file_num_compaction_trigger = 4;
	cfo.max_bytes_for_level_base = 512 << 10;
	cfo.target_file_size_base = 128 << 10;
	cfo.compression = rocksdb::kNoCompression;
	static_cast<rocksdb::ColumnFamilyOptions &>(options) = cfo;

	std::vector<rocksdb::ColumnFamilyDescriptor> descs;
	for (const char *name : kFamilies)
		descs.emplace_back(name, cfo);
	std::vector<rocksdb::ColumnFamilyHandle *> cfs;
	rocksdb::DB *db = nullptr;
	rocksdb::Status s = rocksdb::DB::Open(options, db_dir, descs, &cfs, &db);
	if (!s.ok())
		return die("open", s);

	// Writes: flushes (64 KiB memtables) and leveled compactions.
	std::string value(100, 'x');
	uint64_t x = 88172645463325252ull;
	for (unsigned long i = 0; i < keys && s.ok(); i++) {
		char key[32];

		for (auto &c : value) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			c = static_cast<char>('a' + x % 26);
		}
		std::snprintf(key, sizeof(key), "key%012lu", (i * 7919) % keys);
		s = db->Put(rocksdb::WriteOptions(), cfs[i % kNumFamilies], key, value);
	}
	if (!s.ok())
		return die("put", s);
	if (!(s = db->Flush(rocksdb::FlushOptions(), cfs)).ok())
		return die("flush", s);
	if (fail_flush) {
		// One flush fails; RocksDB keeps the memtable, and after Resume() flushes it again.
		// Only that flush: no compaction may be creating a file meanwhile.
		if (!wait_idle(db, cfs, 60))
			std::fprintf(stderr, "rhook-rocksdb-demo: RocksDB still busy after 60 s\n");
		if (!(s = db->Put(rocksdb::WriteOptions(), cfs[kCompactManually], "failing-flush", value)).ok())
			return die("put", s);
		fs->failing = true;
		s = db->Flush(rocksdb::FlushOptions(), cfs[kCompactManually]);
		fs->failing = false;
		if (s.ok()) {
			std::fprintf(stderr, "rhook-rocksdb-demo: --fail-flush: the flush succeeded\n");
			return 2;
		}
		std::printf("failed flush (injected): %s\n", s.ToString().c_str());
		// RocksDB retries on its own every bgerror_resume_retry_interval; Resume() too.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (!(s = db->Resume()).ok() && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		if (!s.ok())
			return die("resume after the failed flush", s);
		if (!(s = db->Flush(rocksdb::FlushOptions(), cfs[kCompactManually])).ok())
			return die("flush after resume", s);
	}
	rocksdb::CompactRangeOptions cro;
	cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
	if (!(s = db->CompactRange(cro, cfs[kCompactManually], nullptr, nullptr)).ok())
		return die("compact range", s);

	// An ingestion: a file written outside the DB, keys after every other.
	std::string sst = db_dir + "/ingest-external.sst"; // in our private directory
	{
		rocksdb::SstFileWriter w(rocksdb::EnvOptions(), options, cfs[kIngestInto]);
		if (!(s = w.Open(sst)).ok())
			return die("ingest file", s);
		for (int i = 0; i < 500 && s.ok(); i++) {
			char key[32];
			std::snprintf(key, sizeof(key), "zz%08d", i);
			s = w.Put(key, value);
		}
		if (s.ok())
			s = w.Finish();
		if (!s.ok())
			return die("ingest file", s);
	}
	if (!(s = db->IngestExternalFile(cfs[kIngestInto], { sst }, rocksdb::IngestExternalFileOptions())).ok())
		return die("ingest", s);
	unlink(sst.c_str());

	// A column family dropped, once idle: a compaction it cancelled would be a failed job
	// whose written files RocksDB counts in its byte totals (the test wants none).
	if (!wait_idle(db, cfs, 60))
		std::fprintf(stderr, "rhook-rocksdb-demo: RocksDB still busy after 60 s\n");
	uint32_t dropped_id = cfs[kDropped]->GetID();
	if (!(s = db->DropColumnFamily(cfs[kDropped])).ok())
		return die("drop column family", s);
	db->DestroyColumnFamilyHandle(cfs[kDropped]);
	cfs[kDropped] = nullptr;
	if (!wait_idle(db, cfs, 60))
		std::fprintf(stderr, "rhook-rocksdb-demo: RocksDB still busy after 60 s; accounting as it is\n");

	// RocksDB's own accounting, before the close.
	if (!accounting.empty()) {
		FILE *f = std::fopen(accounting.c_str(), "w");
		if (!f) {
			std::fprintf(stderr, "rhook-rocksdb-demo: %s: %s\n", accounting.c_str(), std::strerror(errno));
			return 2;
		}
		std::fprintf(f, "ticker compact_write_bytes %llu\n",
			     (unsigned long long)options.statistics->getTickerCount(rocksdb::COMPACT_WRITE_BYTES));
		std::fprintf(f, "ticker flush_write_bytes %llu\n",
			     (unsigned long long)options.statistics->getTickerCount(rocksdb::FLUSH_WRITE_BYTES));
		std::fprintf(f, "dropped %u\n", dropped_id);
		std::vector<rocksdb::LiveFileMetaData> live;
		db->GetLiveFilesMetaData(&live);
		for (auto *cf : cfs) {
			rocksdb::TablePropertiesCollection props;
			if (!cf || !db->GetPropertiesOfAllTables(cf, &props).ok())
				continue;
			for (const auto &m : live) {
				if (m.column_family_name != cf->GetName())
					continue;
				auto it = props.find(m.db_path + m.name);
				std::string uid;
				rhook_file_id id;
				char ids[RHOOK_FILE_ID_STRLEN] = "unknown";
				if (it != props.end() && rocksdb::GetUniqueIdFromTableProperties(*it->second, &uid).ok() &&
				    uid.size() >= 16) {
					std::memcpy(id.bytes, uid.data(), 16);
					fmt_id(&id, ids);
				}
				std::fprintf(f, "live %s %u %d %llu %llu\n", ids, cf->GetID(), m.level,
					     (unsigned long long)m.size, (unsigned long long)m.file_number);
			}
		}
		std::lock_guard<std::mutex> g(hook_log.mu);
		for (const auto &l : hook_log.lines)
			std::fprintf(f, "%s\n", l.c_str());
		if (std::fclose(f)) {
			std::fprintf(stderr, "rhook-rocksdb-demo: %s: %s\n", accounting.c_str(), std::strerror(errno));
			return 2;
		}
	}

	for (auto *cf : cfs)
		if (cf)
			db->DestroyColumnFamilyHandle(cf);
	s = db->Close();
	delete db;
	if (!s.ok())
		return die("close", s);
	err = rhook_recorder_stop();
	if (err)
		std::fprintf(stderr, "rhook-rocksdb-demo: stopping the recorder: %s\n", std::strerror(-err));
	rhook_registry_free(reg);

	std::printf("RocksDB workload done (pid %d): %lu keys in %zu column families, one dropped; trace %s\n",
		    (int)getpid(), keys, kNumFamilies, trace_path);
	int check = run_reader("check", trace_dir);
	if (check) {
		std::fprintf(stderr, "rhook-rocksdb-demo: the trace breaks the contract (rhook-read check above)\n");
		return 1;
	}
	run_reader("stats", trace_dir);
	std::printf("\n");
	run_reader("amp", trace_dir, "--brief");
	// The page, beside the trace directory (not in it: rhook-read reads every file there).
	std::string html = trace_dir + ".report.html";
	if (run_reader("report", trace_dir, "-o", html.c_str())) {
		std::fprintf(stderr, "rhook-rocksdb-demo: no report written (rhook-read report above)\n");
		return 1;
	}
	std::printf("report:   file://%s\n", html.c_str());
	return 0;
}
