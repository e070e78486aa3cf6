// listener.cc - rhook-rocksdb's one C++ file: the rocksdb::EventListener,
// which turns each callback's C++ structures into rrdb.h's plain ones and
// hands them to the C side (rrdb.c).  Nothing here keeps state.
//
// RocksDB calls listeners without the DB mutex, from its background
// threads and user threads, concurrently; the C side is safe for that.
// No exception leaves a callback: RocksDB's are noexcept in spirit, so a
// std::bad_alloc while converting drops that callback's report.
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/unique_id.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "rrdb.h"

namespace {

// "…/000123.sst" -> 123; 0 when the name is not a table file's.
uint64_t file_number(const std::string &path)
{
	size_t slash = path.rfind('/');
	const char *base = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
	char *end;
	unsigned long long n = strtoull(base, &end, 10);

	return end != base && std::strcmp(end, ".sst") == 0 ? n : 0;
}

int errno_of(const rocksdb::Status &s)
{
	if (s.ok())
		return 0;
	if (s.IsNoSpace())
		return -ENOSPC;
	if (s.IsAborted() || s.IsShutdownInProgress() || s.IsManualCompactionPaused() ||
	    s.IsColumnFamilyDropped())
		return -ECANCELED;
	if (s.IsCorruption())
		return -EBADMSG;
	return -EIO;
}

void set_properties(rrdb__file *f, const rocksdb::TableProperties &p)
{
	std::string uid;

	f->entries = p.num_entries;
	f->data_blocks = p.num_data_blocks;
	f->creation_time_s = p.file_creation_time;
	if (rocksdb::GetUniqueIdFromTableProperties(p, &uid).ok() && uid.size() >= sizeof(f->uid)) {
		f->has_uid = true;
		std::memcpy(f->uid, uid.data(), sizeof(f->uid));
	}
}

rrdb__file file_of(uint64_t number, uint32_t cf_id, int level)
{
	rrdb__file f;

	std::memset(&f, 0, sizeof(f));
	f.number = number;
	f.cf_id = cf_id;
	f.level = level;
	return f;
}

// A compaction's input or output files, with the unique ids of the tables
// the callback lists properties for (keyed by path).
std::vector<rrdb__file> files_of(const rocksdb::CompactionJobInfo &ci,
				 const std::vector<rocksdb::CompactionFileInfo> &infos,
				 const std::vector<std::string> &paths)
{
	std::vector<rrdb__file> v;

	v.reserve(infos.size());
	for (size_t i = 0; i < infos.size(); i++) {
		rrdb__file f = file_of(infos[i].file_number, ci.cf_id, infos[i].level);

		if (i < paths.size()) {
			auto it = ci.table_properties.find(paths[i]);

			if (it != ci.table_properties.end() && it->second)
				set_properties(&f, *it->second);
		}
		v.push_back(f);
	}
	return v;
}

rrdb__reason reason_of(rocksdb::TableFileCreationReason r)
{
	switch (r) {
	case rocksdb::TableFileCreationReason::kFlush:
		return RRDB__FLUSH;
	case rocksdb::TableFileCreationReason::kCompaction:
		return RRDB__COMPACTION;
	case rocksdb::TableFileCreationReason::kRecovery:
		return RRDB__RECOVERY;
	default:
		return RRDB__OTHER;
	}
}

class Listener : public rocksdb::EventListener {
public:
	explicit Listener(rrdb__adapter *a) : a_(a) {}
	~Listener() override { rrdb__adapter_free(a_); }
	Listener(const Listener &) = delete;
	Listener &operator=(const Listener &) = delete;

	const char *Name() const override { return "rhook-rocksdb"; }

	void OnFlushBegin(rocksdb::DB *, const rocksdb::FlushJobInfo &info) override
	{
		rrdb__flush_begin(a_, info.job_id, info.cf_id);
	}

	void OnTableFileCreated(const rocksdb::TableFileCreationInfo &info) override
	{
		rrdb__file f = file_of(file_number(info.file_path),
				       static_cast<uint32_t>(info.table_properties.column_family_id), -1);

		if (!f.number)
			return; // a failed creation RocksDB names "(nil)": nothing was written
		f.size = info.file_size;
		if (info.reason == rocksdb::TableFileCreationReason::kFlush)
			f.level = 0;
		set_properties(&f, info.table_properties);
		rrdb__table_created(a_, info.job_id, reason_of(info.reason), errno_of(info.status), &f);
	}

	void OnFlushCompleted(rocksdb::DB *, const rocksdb::FlushJobInfo &info) override
	{
		rrdb__file f = file_of(info.file_number, info.cf_id, 0);

		set_properties(&f, info.table_properties);
		f.largest_seqno = info.largest_seqno;
		rrdb__flush_completed(a_, info.job_id, &f);
	}

	void OnCompactionBegin(rocksdb::DB *, const rocksdb::CompactionJobInfo &ci) override
	{
		try {
			std::vector<rrdb__file> in = files_of(ci, ci.input_file_infos, ci.input_files);

			rrdb__compaction_begin(a_, ci.job_id, ci.cf_id, in.data(), in.size());
		} catch (const std::bad_alloc &) {
		}
	}

	void OnCompactionCompleted(rocksdb::DB *, const rocksdb::CompactionJobInfo &ci) override
	{
		try {
			std::vector<rrdb__file> in = files_of(ci, ci.input_file_infos, ci.input_files);
			std::vector<rrdb__file> out = files_of(ci, ci.output_file_infos, ci.output_files);

			rrdb__compaction_completed(a_, ci.job_id, ci.cf_id, errno_of(ci.status), in.data(), in.size(),
						   out.data(), out.size());
		} catch (const std::bad_alloc &) {
		}
	}

	void OnExternalFileIngested(rocksdb::DB *db, const rocksdb::ExternalFileIngestionInfo &info) override
	{
		uint64_t number = file_number(info.internal_file_path);
		rrdb__file f = file_of(number, static_cast<uint32_t>(info.table_properties.column_family_id), -1);

		set_properties(&f, info.table_properties);
		f.largest_seqno = info.global_seqno;
		// The callback names neither the level nor the size: RocksDB's live list has them
		// (safe here: listeners run without the DB mutex).
		try {
			std::vector<rocksdb::LiveFileMetaData> live;

			db->GetLiveFilesMetaData(&live);
			for (const auto &m : live)
				if (m.file_number == number) {
					f.level = m.level;
					f.size = m.size;
				}
		} catch (const std::bad_alloc &) {
		}
		rrdb__file_ingested(a_, &f);
	}

	void OnTableFileDeleted(const rocksdb::TableFileDeletionInfo &info) override
	{
		rrdb__table_deleted(a_, file_number(info.file_path));
	}

private:
	rrdb__adapter *a_;
};

} // namespace

int rrdb_listener_new(const struct rrdb_config *cfg, std::shared_ptr<rocksdb::EventListener> *out)
{
	rrdb__adapter *a;
	int err;

	if (!out)
		return -EINVAL;
	err = rrdb__adapter_new(cfg, &a);
	if (err)
		return err;
	try {
		*out = std::make_shared<Listener>(a);
	} catch (const std::bad_alloc &) {
		rrdb__adapter_free(a);
		return -ENOMEM;
	}
	return 0;
}

std::shared_ptr<rocksdb::EventListener> rrdb_listener(struct rhook_registry *registry)
{
	struct rrdb_config cfg = { sizeof(cfg), registry, 0 };
	std::shared_ptr<rocksdb::EventListener> l;
	int err = rrdb_listener_new(&cfg, &l);

	if (err == -ENOMEM)
		throw std::bad_alloc();
	return l; // no other error: the config is valid
}
